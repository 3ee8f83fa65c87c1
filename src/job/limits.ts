/** Range limits of job options, shared by the option checks and the CLI's help (light: no job code). */
export { MAX_COMPUTE_THREADS } from '../workers/pool-options.js';

/** The most concurrent tasks a job may ask for (one task per disk; a Veeam proxy runs tens). */
export const MAX_TASKS = 1024;
