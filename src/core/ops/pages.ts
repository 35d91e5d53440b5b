/** Report pages (sections of tables, charts and alerts) built from operation results, for the report webview. */
export { advicePage } from '../report/advicePage';
export { importancePage, labelsPage, leakagePage } from '../report/checksPages';
export { comparePage } from '../report/comparePage';
export { monitorPage, type MonitorPage } from '../report/monitorPage';
export { tunePage } from '../report/tunePage';
export { profileView } from '../report/profileView';
export type { ReportSection } from '../report/reportSection';
