/**
 * The TOTP second factor: setup (a pending secret) → confirm (first valid code makes it
 * active) → required at every login/finish afterwards.
 *
 * Secrets are sealed at rest (AAD `totp:`/`totp-pending:` + userRecordName, so a sealed
 * secret moved to another account does not open). A code is accepted once: the highest
 * used step is stored and only a strictly newer step passes (RFC 6238 §5.2). Wrong and
 * replayed codes count toward a per-account throttle.
 */
import { AuthReasons, type TotpSetupResponse } from '@coffer/protocol';
import type { Account, AccountsRepository } from '@coffer/storage';
import type { AtRestSealer } from './at-rest.js';
import { AuthError, authenticationFailed, badRequest } from './errors.js';
import type { AuthOptions } from './options.js';
import type { Throttle } from './throttle.js';
import { base32Encode, isWellFormedTotpCode, newTotpSecret, otpauthUrl, verifyTotp } from './totp.js';

export class Totp {
  constructor(
    private readonly deps: {
      accounts: AccountsRepository;
      sealer: AtRestSealer;
      throttle: Throttle;
      options: AuthOptions;
      now: () => number;
    },
  ) {}

  private throttleKey(userRecordName: string): string {
    return this.deps.throttle.key('totp', userRecordName);
  }

  async setup(userRecordName: string): Promise<TotpSetupResponse> {
    const account = await this.requireAccount(userRecordName);
    if (account.totpSecret !== null) throw new AuthError('EXISTS', 'two-factor authentication is already on for this account');
    const secret = newTotpSecret();
    await this.deps.accounts.setTotpPending(userRecordName, this.deps.sealer.seal(secret, `totp-pending:${userRecordName}`));
    return { secret: base32Encode(secret), otpauthUrl: otpauthUrl(secret, account.email) };
  }

  async confirm(userRecordName: string, code: string): Promise<void> {
    const account = await this.requireAccount(userRecordName);
    if (account.totpPending === null) throw badRequest('no two-factor setup in progress; call totp/setup first');
    if (!isWellFormedTotpCode(code)) throw badRequest('field "code" must be 6 digits');
    await this.deps.throttle.check(this.throttleKey(userRecordName), this.deps.options.totpPerAccount, 'wrong two-factor codes');
    const secret = this.deps.sealer.open(account.totpPending, `totp-pending:${userRecordName}`);
    const step = verifyTotp(secret, code, this.deps.now());
    if (step === null) return this.fail(userRecordName, AuthReasons.totpInvalid);
    await this.deps.accounts.activateTotp(userRecordName, this.deps.sealer.seal(secret, `totp:${userRecordName}`), step);
    await this.deps.throttle.reset(this.throttleKey(userRecordName));
  }

  /** No-op for accounts without TOTP; otherwise throws unless `code` is valid and unused. */
  async verifyAtLogin(account: Account, code: string | undefined): Promise<void> {
    if (account.totpSecret === null) return;
    const user = account.userRecordName;
    await this.deps.throttle.check(this.throttleKey(user), this.deps.options.totpPerAccount, 'wrong two-factor codes');
    if (code === undefined) throw authenticationFailed(AuthReasons.totpRequired);
    if (!isWellFormedTotpCode(code)) throw badRequest('field "totpCode" must be 6 digits');
    const secret = this.deps.sealer.open(account.totpSecret, `totp:${user}`);
    const step = verifyTotp(secret, code, this.deps.now());
    if (step === null) return this.fail(user, AuthReasons.totpInvalid);
    if (!(await this.deps.accounts.claimTotpStep(user, step))) return this.fail(user, AuthReasons.totpReplayed);
    await this.deps.throttle.reset(this.throttleKey(user));
  }

  private async fail(userRecordName: string, reason: string): Promise<never> {
    // consume() throws THROTTLED itself once the limit is passed.
    await this.deps.throttle.consume(this.throttleKey(userRecordName), this.deps.options.totpPerAccount, 'wrong two-factor codes');
    throw authenticationFailed(reason);
  }

  private async requireAccount(userRecordName: string): Promise<Account> {
    const account = await this.deps.accounts.findByRecordName(userRecordName);
    if (!account) throw authenticationFailed('the account of this session no longer exists');
    return account;
  }
}
