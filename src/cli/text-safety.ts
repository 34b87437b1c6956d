// One rule for untrusted text (subjects, sender names, Graph and sink error messages) in every output: control
// characters and bidi overrides are shown as \uXXXX escapes, never passed through. ESC/OSC sequences would clear
// the screen, retitle the terminal or forge a hyperlink; a right-to-left override would make "fdp.exe" read as
// "exe.pdf". Each format then applies its own escaping on top (CSV formulas, Markdown links, HTML markup).

/** C0, DEL, C1, and the Unicode bidi embedding, override and isolate controls and marks. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const asEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function visibleControls(text: string): string {
  return text.replace(UNSAFE, asEscape);
}

/** Like visibleControls, but keeps line breaks and tabs for formats that escape them their own way. */
export function visibleControlsKeepingLines(text: string): string {
  return text.replace(UNSAFE, (c) => (c === '\n' || c === '\r' || c === '\t' ? c : asEscape(c)));
}
