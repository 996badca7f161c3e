"""The customers of one block: latent tastes, activity, devices, churn and PII."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shoplake.datasets.generator.catalogue import Catalogue
from shoplake.datasets.generator.config import GeneratorConfig
from shoplake.schemas import CHANNELS, DEVICES

FIRST_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Liam",
               "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wen", "Yusuf")
LAST_NAMES = ("Adams", "Berg", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen", "Khan",
              "Larsen", "Moreau", "Nowak", "Okafor", "Patel", "Rossi", "Silva", "Tanaka", "Weber", "Young", "Zhang")
STREETS = ("Oak Street", "Mill Lane", "Harbour Road", "Station Avenue", "Elm Close", "King's Way", "Park Row",
           "River Walk", "Chapel Street", "Market Square")
CITIES = ("Springfield", "Riverton", "Lakeside", "Fairview", "Greenville", "Bridgeport", "Ashford", "Westbrook")
DOMAINS = ("example.com", "mail.example.org", "inbox.example.net")
USER_AGENTS = {
    "mobile": ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
               "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36"),
    "desktop": ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15"),
    "tablet": ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",),
}
DECLINE_FLOOR = 0.3  # a churner's activity falls linearly to this share before it stops


@dataclass(frozen=True)
class Users:
    """Per-user arrays of one block (index = position in the block)."""

    ids: list[str]
    segment: np.ndarray
    taste: np.ndarray
    activity: np.ndarray  # mean sessions per day before seasonality
    device: np.ndarray  # preferred device, index into DEVICES
    channel: np.ndarray  # preferred channel, index into CHANNELS
    join_day: np.ndarray
    churn_day: np.ndarray  # config.days when the user never churns
    name: list[str]
    email: list[str]
    phone: list[str]
    address: list[str]
    ip: list[str]
    user_agent: list[str]

    def __len__(self) -> int:
        return len(self.ids)


def make_users(config: GeneratorConfig, catalogue: Catalogue, block: int, rng: np.random.Generator) -> Users:
    """The users of ``block`` (global numbers ``block * users_per_block`` onwards)."""
    first = block * config.users_per_block
    n = min(config.users_per_block, config.users - first)
    segment = rng.integers(0, config.segments, n)
    taste = catalogue.segment_centroids[segment] + rng.normal(0, 0.6, (n, config.taste_dims))
    sigma = 0.8
    activity = config.sessions_per_user_day * rng.lognormal(-sigma**2 / 2, sigma, n)
    join_day = np.where(rng.random(n) < config.new_user_share, rng.integers(0, config.days, n), 0)
    churn_day = np.full(n, config.days)
    earliest = join_day + 7
    churns = (rng.random(n) < config.churn_share) & (earliest < config.days)
    churn_day[churns] = rng.integers(earliest[churns], config.days)
    device = rng.choice(len(DEVICES), n, p=mix_probabilities(config.device_mix, DEVICES))
    first_name = rng.integers(0, len(FIRST_NAMES), n)
    last_name = rng.integers(0, len(LAST_NAMES), n)
    street_no, zip_code = rng.integers(1, 300, n), rng.integers(10000, 99999, n)
    street, city = rng.integers(0, len(STREETS), n), rng.integers(0, len(CITIES), n)
    octets = np.column_stack([rng.integers(11, 224, n), rng.integers(0, 256, (n, 3))])
    agent = rng.integers(0, 2, n)
    names = [f"{FIRST_NAMES[a]} {LAST_NAMES[b]}" for a, b in zip(first_name, last_name)]
    return Users(
        ids=[f"u{first + i:08d}" for i in range(n)],
        segment=segment,
        taste=taste,
        activity=activity,
        device=device,
        channel=rng.choice(len(CHANNELS), n, p=mix_probabilities(config.channel_mix, CHANNELS)),
        join_day=join_day,
        churn_day=churn_day,
        name=names,
        email=[f"{FIRST_NAMES[a].lower()}.{LAST_NAMES[b].lower()}{first + i}@{DOMAINS[(first + i) % len(DOMAINS)]}"
               for i, (a, b) in enumerate(zip(first_name, last_name))],
        phone=[f"+1-{200 + (z % 700)}-555-{(z * 7) % 10000:04d}" for z in zip_code],
        address=[f"{no} {STREETS[s]}, {CITIES[c]} {z}" for no, s, c, z in zip(street_no, street, city, zip_code)],
        ip=[".".join(map(str, row)) for row in octets],
        user_agent=[_agent(DEVICES[d], a) for d, a in zip(device, agent)],
    )


def _agent(device: str, pick: int) -> str:
    agents = USER_AGENTS[device]
    return agents[pick % len(agents)]


def mix_probabilities(mix: dict[str, float], keys: tuple[str, ...]) -> np.ndarray:
    """A mix of named shares as probabilities in ``keys`` order."""
    weights = np.array([mix[k] for k in keys], dtype=float)
    return weights / weights.sum()


def activity_on(config: GeneratorConfig, users: Users, day: int) -> np.ndarray:
    """Each user's activity multiplier on ``day``: 0 before joining and after churning, declining before churn."""
    alive = (users.join_day <= day) & (day < users.churn_day)
    to_churn = users.churn_day - day
    ramp = np.clip(to_churn / max(config.churn_decline_days, 1), 0, 1)
    declining = users.churn_day < config.days
    factor = np.where(declining, DECLINE_FLOOR + (1 - DECLINE_FLOOR) * ramp, 1.0)
    return alive * factor
