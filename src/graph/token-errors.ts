// Turns what went wrong while getting a token (an Entra refusal relayed by msal, a network failure, a bad local
// credential) into a TokenError that says what happened and what to do, without quoting any secret.
import { aadstsAdvice, aadstsCodeIn } from './aadsts.ts';
import { TokenError } from './errors.ts';
import { redactString, redactUrl } from './redact.ts';

export function invalidCredential(message: string, cause?: unknown): TokenError {
  return new TokenError({
    message,
    aadstsCode: undefined,
    error: 'invalid_credential',
    explanation: message,
    fix: 'Configure the PEM certificate uploaded to the app registration and the PEM private key it was made from.',
    ...(cause === undefined ? {} : { cause }),
  });
}

interface MsalLikeError {
  name?: string;
  errorCode?: string;
  errorMessage?: string;
  errorNo?: string | number;
  status?: number;
  correlationId?: string;
}

export function toTokenError(
  error: unknown,
  networkFailure: unknown,
  authorityHost: string,
  tenantId: string,
): TokenError {
  if (error instanceof TokenError) return error;
  const where = `${redactUrl(authorityHost)} (tenant ${tenantId})`;
  if (networkFailure !== undefined) {
    const reason = describeCause(networkFailure);
    return new TokenError({
      message: `Could not reach Entra at ${where}: ${reason}`,
      aadstsCode: undefined,
      error: 'network_error',
      explanation: `The token endpoint could not be reached: ${reason}.`,
      fix: 'Check network access to the authority host, the HTTPS_PROXY/NO_PROXY settings and, behind a TLS-inspecting proxy, the CA bundle.',
      cause: networkFailure,
    });
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as MsalLikeError;
  const aadstsCode =
    e.errorNo !== undefined && /^\d+$/.test(String(e.errorNo))
      ? Number(e.errorNo)
      : aadstsCodeIn(e.errorMessage);
  const oauthError = e.errorCode || 'token_request_failed';
  const advice = aadstsAdvice(aadstsCode, oauthError);
  // Entra's description is useful (and has no secret), but its trace/correlation lines are noise in a message.
  const description = redactString(
    (e.errorMessage ?? (error instanceof Error ? error.message : String(error)))
      .replace(/^.*?Description:\s*/s, '')
      .split(/\r?\n|Trace ID:| - Correlation ID:/)[0] ?? '',
  ).trim();
  const codeText = aadstsCode === undefined ? oauthError : `AADSTS${aadstsCode} ${oauthError}`;
  return new TokenError({
    message: `Entra refused a token for ${where}: ${codeText}. ${advice.explanation}${description ? ` (${description})` : ''}`,
    aadstsCode,
    error: oauthError,
    explanation: advice.explanation,
    fix: advice.fix,
    ...(e.status !== undefined ? { status: e.status } : {}),
    ...(e.correlationId ? { correlationId: e.correlationId } : {}),
  });
}

function describeCause(cause: unknown): string {
  const parts: string[] = [];
  let current: unknown = cause;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const c = current as { code?: unknown; message?: unknown; cause?: unknown };
    const text = [typeof c.code === 'string' ? c.code : '', typeof c.message === 'string' ? c.message : '']
      .filter(Boolean)
      .join(' ');
    if (text && !parts.includes(text)) parts.push(text);
    current = c.cause;
  }
  return redactString(parts.join(': ') || 'unknown network error');
}
