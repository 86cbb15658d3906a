/** Drive (files and folders in the `drive` category, names and tree encrypted). */
export { Drive, DRIVE_CONTAINER, DRIVE_ZONE, type DrivePut, type DrivePutOptions } from './drive.js';
export { splitDrivePath, type DriveItem, type DriveItemKind } from './drive-tree.js';
export { DriveError, type DriveErrorCode } from './drive-errors.js';
