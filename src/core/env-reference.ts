// One rule for a configuration key that names an environment variable (clientSecretEnv, tokenEnv, apiKeyEnv, …).
// Pasting the secret itself into such a key is a common mix-up; every message about the key would then print the
// secret. A value that is not a plausible variable name is therefore never echoed back.

/** POSIX portable variable names: what a shell can export. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longer than any variable name anyone types; tokens and keys are longer still. */
const MAX_ENV_NAME_LENGTH = 64;

/**
 * Undefined when `value` can name an environment variable; otherwise the problem and the fix, neither of which
 * contains `value`.
 */
export function envReferenceProblem(key: string, value: string): { problem: string; fix: string } | undefined {
  if (ENV_NAME.test(value) && value.length <= MAX_ENV_NAME_LENGTH && !looksRandom(value)) return undefined;
  const base = key.slice(key.lastIndexOf('.') + 1);
  return {
    problem: `${base} must name an environment variable; the value given looks like a secret itself and is not shown`,
    fix: `put the secret in an environment variable, e.g. export MAILTRACE_SECRET=…, and set ${base} to "MAILTRACE_SECRET"; if the value was a real secret, rotate it`,
  };
}

/**
 * A 30+ character name mixing upper case, lower case and digits with no underscore reads as a generated token
 * (GitHub, Splunk and Elastic keys can all match ENV_NAME), not as a name a person chose.
 */
function looksRandom(value: string): boolean {
  return value.length >= 30 && !value.includes('_') && /[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value);
}
