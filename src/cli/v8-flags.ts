/**
 * The CLI's process-wide V8 setting (core/v8-tuning.ts says why), applied before the CLI does any
 * work. Imported first by main.ts.
 */
import { tuneProcessForBackups } from '../index.js';

tuneProcessForBackups();
