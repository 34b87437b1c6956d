// Plain-language explanations of the Entra (AADSTS) error codes people actually hit with an app-only client.
// Source: learn.microsoft.com/entra/identity-platform/reference-error-codes; graph-reference.md §1.

export interface AadstsAdvice {
  explanation: string;
  fix: string;
}

const ADVICE: Readonly<Record<number, AadstsAdvice>> = {
  7000215: {
    explanation: 'Entra rejected the client secret.',
    fix: 'Use the secret VALUE, not the secret ID: the value is shown only once, when the secret is created under App registrations > Certificates & secrets. If it was lost, create a new secret.',
  },
  7000222: {
    explanation: 'The client secret has expired.',
    fix: 'Create a new client secret for the app registration (Certificates & secrets) and update the configuration.',
  },
  700016: {
    explanation: 'No application with this client id exists in this tenant.',
    fix: 'Check the client id (Application ID, not Object ID) and the tenant id; if the app lives in another cloud (GCC High, DoD, China), set the matching cloud; a multi-tenant app needs admin consent in this tenant.',
  },
  90002: {
    explanation: 'Entra does not know this tenant.',
    fix: 'Check the tenant id or domain; a tenant of a national cloud (GCC High, DoD, China) is not found in the global cloud: set the matching cloud.',
  },
  700027: {
    explanation: 'Entra could not verify the client assertion signed with the certificate.',
    fix: 'Upload this certificate (public part) to the app registration, or configure the private key that matches a certificate already uploaded there.',
  },
  50012: {
    explanation: 'Entra rejected the client assertion signed with the certificate.',
    fix: 'Make sure the certificate uploaded to the app registration matches the configured private key, and that it has not expired.',
  },
  700024: {
    explanation: 'The client assertion is outside its valid time range: this machine’s clock is off.',
    fix: 'Synchronise the system clock (NTP) and try again.',
  },
  70011: {
    explanation: 'The requested scope is invalid.',
    fix: 'The scope must be the Graph root of the chosen cloud followed by /.default; check the cloud and Graph endpoint settings.',
  },
  500011: {
    explanation: 'The resource (Microsoft Graph) has no service principal in this tenant.',
    fix: 'Check that the Graph endpoint matches the tenant’s cloud; the tenant may be in another national cloud.',
  },
  53003: {
    explanation: 'A Conditional Access policy blocked the token request.',
    fix: 'Ask an Entra administrator to exclude this workload identity from the policy, or to allow its network location.',
  },
  900144: {
    explanation: 'The token request is missing a required parameter.',
    fix: 'Check that the client id, tenant id and credential are all configured and non-empty.',
  },
  7000112: {
    explanation: 'The application is disabled.',
    fix: 'Ask an Entra administrator to enable the application (Enterprise applications > Properties > Enabled for users to sign in).',
  },
  700025: {
    explanation: 'The client is public, so it cannot use a client secret or certificate.',
    fix: 'Disable "Allow public client flows" on the app registration, or use a confidential app registration.',
  },
};

/** Advice for an AADSTS code; unknown codes get a generic message that names the code and where to look it up. */
export function aadstsAdvice(code: number | undefined, oauthError?: string): AadstsAdvice {
  const known = code === undefined ? undefined : ADVICE[code];
  if (known) return known;
  if (code !== undefined) {
    return {
      explanation: `Entra refused the token request with AADSTS${code}${oauthError ? ` (${oauthError})` : ''}.`,
      fix: `Look the code up at https://login.microsoftonline.com/error?code=${code} and check the app registration, tenant id and credential.`,
    };
  }
  return {
    explanation: `Entra refused the token request${oauthError ? ` (${oauthError})` : ''}.`,
    fix: 'Check the tenant id, client id, credential and cloud settings.',
  };
}

/** The AADSTS number in a text such as "AADSTS7000215: Invalid client secret provided.", if any. */
export function aadstsCodeIn(text: string | undefined): number | undefined {
  const match = text ? /AADSTS(\d+)/.exec(text) : null;
  return match ? Number(match[1]) : undefined;
}
