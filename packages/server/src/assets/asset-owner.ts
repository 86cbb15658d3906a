/**
 * Who may touch chunks: the signed-in user, in the private database only (there is no way
 * to name another user's chunk). Every asset route starts here.
 */
import type { FastifyRequest } from 'fastify';
import { authenticate } from '../auth/index.js';
import { CloudError } from '../http/cloud-error.js';

/** The signed-in user's record name. @throws CloudError AUTHENTICATION_REQUIRED/FAILED, or BAD_REQUEST outside the private database. */
export async function requireOwner(request: FastifyRequest): Promise<string> {
  const { database } = request.params as { database: string };
  const user = await authenticate(request);
  if (user === null) throw new CloudError('AUTHENTICATION_REQUIRED', 'sign in first: send Authorization: Bearer <sessionToken> or the ckWebAuthToken query parameter');
  if (database !== 'private') throw new CloudError('BAD_REQUEST', 'assets live in the private database');
  return user.userRecordName;
}
