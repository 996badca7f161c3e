"""Demand forecasting: several model families per series, each series forecast by the family that won its
rolling-origin backtest.

Families: one global ``GBTRegressor`` over every series (direct multi-horizon strategy: a training
row is one series at one origin ``t`` and one step ``h``, with features known at ``t``, the
calendar of ``t + h`` and ``h`` itself, values divided by the series' recent level so items of any
size share one model), and local statistical models from statsforecast fitted per series on the
executors (``groupBy(series).applyInPandas``): naive, seasonal-naive, ETS, ARIMA, Theta, CES,
Croston, ADIDA, IMAPA, and their combination. Every family is scored on every series and fold;
each series takes the family chosen by :mod:`selection`.

Modules: ``series`` (input contract and checks), ``source`` (a user's own file or table),
``frequency`` (day, week, month, quarter: inferred and aligned), ``calendar`` (explicit zero-filled
periods), ``features`` (window-function features at each origin), ``strategy`` (stacking horizons,
labels), ``model`` (the GBT pipeline), ``local_models`` (the statsforecast families),
``local_backtest`` (them on the executors), ``backtest`` (folds, the GBT's backtest, MASE scales),
``baselines`` (the seasonal-naive error scaling MASE), ``metrics`` (WAPE, sMAPE, RMSE, MASE per
series, fold and family), ``selection`` (each series' family, scored honestly), ``intervals``
(the model's own, or from backtest residuals), ``forecaster`` (the registered MLflow model),
``plots``, ``train`` (the tracked run) and ``load`` (lake in, ``gold.forecasts`` out).
"""
