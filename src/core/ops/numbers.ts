/** How every front end writes a number or a metric's name (3 significant digits, near zero is 0, AUC/RMSE/R²). Light: the extension host imports it. */
export { fmtInt, fmtNum, fmtPct, fmtValue, metricLabel } from '../report/format';
