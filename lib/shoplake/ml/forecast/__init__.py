"""Demand forecasting: one global ``GBTRegressor`` over every series, judged by rolling-origin backtests.

Strategy (direct, multi-horizon): every training row is one series at one origin date ``t``
and one step ``h`` in ``1..horizon``. Its features are known at ``t`` (lags, rolling
statistics, price and promotion as last seen, the item's level) plus the calendar of the
target date ``t + h`` and ``h`` itself; its label is the value at ``t + h``. One model serves
every step, so a forecast is one distributed prediction with no feedback of predictions into
lags (no error build-up of a recursive strategy).

Values are divided by the series' recent level (the mean of its longest rolling window, at
``t``) before training and multiplied back after, so items of any size share one model.

Modules: ``series`` (input contract and checks), ``calendar`` (explicit zero-filled periods),
``features`` (window-function features at each origin), ``strategy`` (stacking horizons,
labels), ``baselines`` (naive, seasonal-naive), ``model`` (the GBT pipeline), ``metrics``
(WAPE, sMAPE, RMSE, MASE), ``backtest`` (rolling origins), ``intervals`` (from backtest
residuals), ``plots``, ``train`` (the tracked run) and ``load`` (lake in, ``gold.forecasts`` out).
"""
