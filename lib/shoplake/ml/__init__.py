"""Machine learning on the lake: the recommender (:mod:`.recommend`) and demand forecasting (:mod:`.forecast`).

Every transform here is ``DataFrame -> DataFrame`` computed in Spark; the steps in
:mod:`shoplake.steps` read and write the lake tables.
"""
