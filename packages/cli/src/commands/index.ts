/**
 * Every command of `coffer`, in help order. A new command group (devices, protection,
 * recovery-key, drive, backup, …) is one file under commands/ plus one line here.
 */
import type { Entry } from '../router.js';
import { accountGroup, login, logout } from './account.js';
import { schemaGroup } from './schema.js';
import { serverCommand } from './server.js';
import { devicesGroup } from './devices.js';
import { deviceGroup } from './device-join.js';
import { protectionGroup } from './protection.js';
import { recoveryContactGroup, recoveryKeyGroup, recoveryPasscodeGroup } from './recovery.js';
import { driveGroup } from './drive.js';
import { backupGroup } from './backup.js';

export const commands: readonly Entry[] = [serverCommand, accountGroup, login, logout, schemaGroup,
  devicesGroup, deviceGroup, protectionGroup, recoveryKeyGroup, recoveryContactGroup, recoveryPasscodeGroup,
  driveGroup, backupGroup];
