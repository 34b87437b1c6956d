// Step 2: can the app get a token at all? An Entra refusal is explained in plain words (AADSTS code, what it
// means, what to do) from the TokenError the Graph client already builds; the secret never appears.
import type { GraphClient } from '../../graph/client.ts';
import { TokenError } from '../../graph/errors.ts';
import { type CheckResult, fail, pass } from './check.ts';

export interface TokenOutcome {
  result: CheckResult;
  /** The application permissions in the token, when one was issued. */
  roles: readonly string[] | undefined;
}

const TITLE = 'token';

export async function checkToken(
  client: GraphClient,
  signal: AbortSignal,
  nowMs: number,
): Promise<TokenOutcome> {
  try {
    const token = await client.tokens.getToken({ signal });
    const minutes = Math.round((token.expiresOn - nowMs) / 60_000);
    return {
      roles: token.roles,
      result: pass(
        TITLE,
        TITLE,
        `Entra issued a token for ${client.cloud.graphResource} (valid ~${minutes} min) with ` +
          `${token.roles.length === 0 ? 'no application permissions' : token.roles.join(', ')}`,
        { facts: { roles: [...token.roles] } },
      ),
    };
  } catch (error) {
    if (signal.aborted) throw error;
    return { roles: undefined, result: tokenFailure(error) };
  }
}

export function tokenFailure(error: unknown): CheckResult {
  if (error instanceof TokenError) {
    const code = error.aadstsCode === undefined ? error.error : `AADSTS${error.aadstsCode}`;
    return fail(TITLE, TITLE, 'auth', `${code}: ${error.explanation}`, error.fix, {
      facts: {
        aadstsCode: error.aadstsCode ?? null,
        error: error.error,
        correlationId: error.correlationId ?? null,
      },
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return fail(
    TITLE,
    TITLE,
    'auth',
    `no token: ${message}`,
    'check the authority host, tenant id and client id, and the network path to Entra',
  );
}
