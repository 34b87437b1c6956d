// The Splunk HEC answer format and the meaning of its status codes (Splunk docs: "Troubleshoot HTTP Event
// Collector", HEC status codes 0-18).

/** HEC status codes whose meaning is "fix the configuration": sending again cannot help. */
export const FATAL_CODES: Readonly<Record<number, string>> = {
  1: 'the HEC token is disabled: enable it in Splunk (Settings > Data inputs > HTTP Event Collector)',
  2: 'no HEC token was sent: set token',
  3: 'invalid authorization: check token',
  4: 'invalid HEC token: check token (the token value, not its name)',
  5: 'no data',
  6: 'invalid data format',
  7: 'incorrect index: the token is not allowed to write to this index (check index and the token’s allowed indexes)',
  10: 'data channel is missing',
  11: 'invalid data channel',
  12: 'event field is required',
  13: 'event field cannot be blank',
  14: 'indexer acknowledgement is disabled for this token: enable it on the token or set useAck to false',
  15: 'error in handling indexed fields',
  16: 'query string authorization is not enabled',
};

export interface HecAnswer {
  code?: number;
  text?: string;
  ackId?: number;
  'invalid-event-number'?: number;
}

/** The JSON answer of a HEC endpoint ({} when it is not JSON, e.g. a proxy's HTML error page). */
export function answerOf(body: string): HecAnswer {
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as HecAnswer) : {};
  } catch {
    return {};
  }
}
