// THE command table. A command is registered here only once it works end to end.
import type { CommandSpec } from './command.js';
import { checkCommand } from './commands/check.js';
import { exportCommand } from './commands/export.js';
import { profilesCommand } from './commands/profiles.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { setupCommand } from './commands/setup.js';
import { schemaCommand } from './commands/schema.js';
import { uiCommand } from './commands/ui.js';
import { validateCommand } from './commands/validate.js';
import { verifyCommand } from './commands/verify.js';

export const COMMANDS: readonly CommandSpec[] = [validateCommand, setupCommand, runCommand, checkCommand, reportCommand, exportCommand, verifyCommand, profilesCommand, schemaCommand, uiCommand];
