// The seeds' roles and actions, as the tests name them (ids and actions from the app's own catalog).
import { BuiltInRoleId, Permission } from '../../shared/domain/roles';

export const ROLE_IDS = BuiltInRoleId;

export const ACTIONS = {
  /** Security Reader: read suspicious mail in Threat Explorer. */
  readSecurity: Permission.readThreats,
  /** Search and Purge: delete it. */
  purgeEmail: Permission.purgeMail,
} as const;
