/**
 * Drive errors found on the device (the server cannot check names or the tree: they are
 * encrypted). Branch on `code`.
 */
import { CofferError } from '../errors.js';

export type DriveErrorCode = 'NOT_FOUND' | 'EXISTS' | 'NOT_A_FOLDER' | 'IS_A_FOLDER' | 'NOT_EMPTY' | 'INVALID_PATH';

export class DriveError extends CofferError {
  constructor(readonly code: DriveErrorCode, message: string) {
    super({ message });
  }
}
