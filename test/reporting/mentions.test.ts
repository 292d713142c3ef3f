import { describe, expect, it } from '@jest/globals';
import { codeSpan, escapeHtml, escapeText, neutralizeMentions } from '../../src/reporting/markdownText.js';

const JOINER = '\u2060';

describe('@mentions in untrusted text', () => {
  it('breaks user and team mentions with an invisible joiner, keeping the text as read', () => {
    expect(neutralizeMentions('ping @octocat and @github/security-team')).toBe(`ping @${JOINER}octocat and @${JOINER}github/security-team`);
    expect(neutralizeMentions('@start of text')).toBe(`@${JOINER}start of text`);
    expect(neutralizeMentions('(@paren)')).toBe(`(@${JOINER}paren)`);
  });

  it('leaves e-mail addresses and a bare @ alone', () => {
    expect(neutralizeMentions('mail me@example.com or write @ home')).toBe('mail me@example.com or write @ home');
  });

  it('applies to free text and HTML text, and code spans need none (GitHub links no mention inside code)', () => {
    expect(escapeText('fix by @admin')).toBe(`fix by @${JOINER}admin`);
    expect(escapeHtml('title @admin')).toBe(`title @${JOINER}admin`);
    expect(codeSpan('src/@admin.ts')).toBe('`src/@admin.ts`');
  });
});
