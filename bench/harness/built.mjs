// The built CLI's own modules that the bench calls in-process, loaded from dist/ (what `npm run build` made, the
// code the bench measures) and typed by their sources, so the bench type-checks against the code it drives.

/** @param {string} path */
const dist = (path) => new URL(`../../dist/${path}`, import.meta.url).href;

/** @returns {Promise<typeof import("../../src/daemon/daemon-files.js")>} */
export const daemonFilesModule = () => import(dist("daemon/daemon-files.js"));

/** @returns {Promise<typeof import("../../src/cli/daemon-client.js")>} */
export const daemonClientModule = () => import(dist("cli/daemon-client.js"));

/** @returns {Promise<typeof import("../../src/audit/audit-log.js")>} */
export const auditLogModule = () => import(dist("audit/audit-log.js"));

/** @returns {Promise<typeof import("../../src/audit/redact.js")>} */
export const redactModule = () => import(dist("audit/redact.js"));
