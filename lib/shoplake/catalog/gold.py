"""Gold: what is computed from silver: sales, features, analyses, and the models' outputs."""
from __future__ import annotations

from shoplake.catalog.ddl import ddl_columns
from shoplake.catalog.silver import (SILVER_EVENTS, SILVER_ORDER_LINES, SILVER_PRODUCTS, SILVER_REVIEWS,
                                     SILVER_SESSIONS)
from shoplake.catalog.table import AT_LEAST_ONE, NON_NEGATIVE, POSITIVE, SHARE, Table

GOLD_DAILY_ITEM_SALES = "gold.daily_item_sales"
GOLD_USER_ITEM_INTERACTIONS = "gold.user_item_interactions"
GOLD_USER_FEATURES = "gold.user_features"
GOLD_FUNNEL_DAILY = "gold.funnel_daily"
GOLD_FUNNEL = "gold.funnel"
GOLD_FUNNEL_STEPS = "gold.funnel_steps"
GOLD_COHORT_RETENTION = "gold.cohort_retention"
GOLD_RFM_SEGMENTS = "gold.rfm_segments"
GOLD_SEGMENT_SUMMARY = "gold.segment_summary"
GOLD_BUNDLES = "gold.bundles"
GOLD_ANOMALIES = "gold.anomalies"
GOLD_CHURN_SCORES = "gold.churn_scores"
GOLD_RECOMMENDATIONS = "gold.recommendations"
GOLD_SIMILAR_ITEMS = "gold.similar_items"
GOLD_FORECASTS = "gold.forecasts"
GOLD_FORECAST_BACKTEST = "gold.forecast_backtest"
GOLD_SERIES_FORECASTS = "gold.series_forecasts"
GOLD_SERIES_FORECAST_BACKTEST = "gold.series_forecast_backtest"
GOLD_REVIEW_SENTIMENT = "gold.review_sentiment"
GOLD_PRODUCT_SENTIMENT = "gold.product_sentiment"
GOLD_ITEM_EMBEDDINGS = "gold.item_embeddings"
GOLD_VISUALLY_SIMILAR_ITEMS = "gold.visually_similar_items"


def _analysis(name: str, description: str, *inputs: str) -> Table:
    return Table(name, description, written_by=("analytics",), inputs=inputs)


TABLES = (
    Table(
        GOLD_DAILY_ITEM_SALES, "units, revenue and orders per product and day",
        columns=ddl_columns("product_id string, date date, units bigint, revenue double, orders bigint, "
                            "avg_price double, promotion boolean"),
        keys=(("product_id", "date"),), partition_by=("date",),
        written_by=("build_gold",), inputs=(SILVER_ORDER_LINES,), checked=True,
        ranges={"units": AT_LEAST_ONE, "revenue": NON_NEGATIVE, "orders": AT_LEAST_ONE, "avg_price": NON_NEGATIVE},
        references={"product_id": SILVER_PRODUCTS},
        not_empty=True,
        drift_means=("avg_price",),
    ),
    Table(
        GOLD_USER_ITEM_INTERACTIONS, "implicit feedback: each user's weighted events per product",
        columns=ddl_columns("user_id string, product_id string, weight double, n_events bigint, "
                            "n_purchases bigint, last_event_time timestamp"),
        keys=(("user_id", "product_id"),),
        written_by=("build_gold",), inputs=(SILVER_EVENTS,), checked=True,
        ranges={"weight": POSITIVE, "n_events": AT_LEAST_ONE, "n_purchases": NON_NEGATIVE},
        not_future=("last_event_time",),
        references={"product_id": SILVER_PRODUCTS},
        not_empty=True,
        drift_means=("weight",),
    ),
    Table(
        GOLD_USER_FEATURES, "per user: recency, frequency, monetary value, sessions and conversion rate",
        columns=ddl_columns("user_id string, recency_days int, days_since_seen int, frequency bigint, "
                            "monetary double, sessions bigint, conversion_rate double, as_of timestamp"),
        keys=(("user_id",),),
        written_by=("build_gold",), inputs=(SILVER_SESSIONS, SILVER_ORDER_LINES), checked=True,
        ranges={"recency_days": NON_NEGATIVE, "days_since_seen": NON_NEGATIVE, "frequency": NON_NEGATIVE,
                "monetary": NON_NEGATIVE, "sessions": NON_NEGATIVE, "conversion_rate": SHARE},
        not_empty=True,
        # monetary: every shop has orders, not every shop a clickstream (without one, the sessions and
        # conversion columns are null); conversion is watched by gold.funnel_daily's purchase_rate
        drift_means=("monetary",),
    ),
    Table(
        GOLD_FUNNEL_DAILY, "sessions reaching each funnel step per day, channel and device",
        columns=ddl_columns("date date, channel string, device string, sessions bigint, product_view bigint, "
                            "add_to_cart bigint, begin_checkout bigint, purchase bigint, "
                            "product_view_rate double, add_to_cart_rate double, begin_checkout_rate double, "
                            "purchase_rate double"),
        keys=(("date", "channel", "device"),),
        written_by=("build_gold",), inputs=(SILVER_SESSIONS,), checked=True,
        ranges={"sessions": AT_LEAST_ONE, "product_view_rate": NON_NEGATIVE, "add_to_cart_rate": NON_NEGATIVE,
                "begin_checkout_rate": NON_NEGATIVE, "purchase_rate": NON_NEGATIVE},
        not_empty=True,
        drift_means=("purchase_rate",),
    ),
    _analysis(GOLD_FUNNEL, "funnel step conversion per variant, day, channel and device", SILVER_EVENTS),
    _analysis(GOLD_FUNNEL_STEPS, "funnel step conversion per variant over all days, channels and devices",
              SILVER_EVENTS),
    _analysis(GOLD_COHORT_RETENTION, "share of each first-purchase cohort buying again, per period",
              SILVER_ORDER_LINES),
    _analysis(GOLD_RFM_SEGMENTS, "each customer's RFM scores and segment", GOLD_USER_FEATURES),
    _analysis(GOLD_SEGMENT_SUMMARY, "per RFM segment: name, customers, customer and revenue share",
              GOLD_USER_FEATURES),
    _analysis(GOLD_BUNDLES, "association rules of products bought together: support, confidence, lift",
              SILVER_ORDER_LINES),
    _analysis(GOLD_ANOMALIES, "orders flagged as anomalous, with the reasons", SILVER_ORDER_LINES, SILVER_SESSIONS),
    _analysis(GOLD_CHURN_SCORES, "each customer's churn score and risk decile, with the features scored",
              SILVER_EVENTS, SILVER_ORDER_LINES),
    Table(GOLD_RECOMMENDATIONS, "top-N products per user from the registered recommender, popularity as fallback",
          written_by=("recommend",), inputs=(GOLD_USER_ITEM_INTERACTIONS,)),
    Table(GOLD_SIMILAR_ITEMS, "each product's most similar products by the recommender's item factors",
          written_by=("recommend",), inputs=(GOLD_USER_ITEM_INTERACTIONS,)),
    Table(GOLD_FORECASTS, "daily units forecast per product by the family that won its backtest, with intervals",
          written_by=("forecast", "train_forecast"), inputs=(GOLD_DAILY_ITEM_SALES,)),
    Table(GOLD_FORECAST_BACKTEST, "every forecast family's backtest scores per product and fold, and the one chosen",
          written_by=("forecast", "train_forecast"), inputs=(GOLD_DAILY_ITEM_SALES,)),
    Table(GOLD_SERIES_FORECASTS, "forecasts of a user's own series (a file or table given to train_forecast --input)",
          written_by=("train_forecast",)),
    Table(GOLD_SERIES_FORECAST_BACKTEST, "every family's backtest scores per series and fold of a user's own series",
          written_by=("train_forecast",)),
    Table(GOLD_REVIEW_SENTIMENT, "each review's sentiment from the registered text model",
          written_by=("score_reviews",), inputs=(SILVER_REVIEWS,)),
    Table(GOLD_PRODUCT_SENTIMENT, "per product: reviews scored and share of each sentiment",
          written_by=("score_reviews",), inputs=(GOLD_REVIEW_SENTIMENT,)),
    Table(GOLD_ITEM_EMBEDDINGS, "each product image's embedding from the registered image model",
          written_by=("embed_images",), inputs=(SILVER_PRODUCTS,)),
    Table(GOLD_VISUALLY_SIMILAR_ITEMS, "each product's most similar products by image embedding",
          written_by=("embed_images",), inputs=(GOLD_ITEM_EMBEDDINGS,)),
)
