import { TokenVerifier, loadOrCreateDevKeys, signDevToken } from '../../src/identity';
import { VerifiedTokens } from 'portico-kit';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

describe('verified tokens', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('keeps a verification until the token expires, never past it', () => {
    const cache = new VerifiedTokens<string>();
    cache.set('live', 'alice', now() + 3600);
    cache.set('expired', 'bob', now() - 1);
    cache.set('no-exp', 'carol', undefined);
    expect(cache.get('live')).toBe('alice');
    expect(cache.get('expired')).toBeUndefined();
    expect(cache.get('no-exp')).toBe('carol');
    expect(cache.get('unknown')).toBeUndefined();
  });

  it('a bearer token is checked once, and a token that fails is never remembered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-verified-'));
    try {
      const keys = await loadOrCreateDevKeys(dir);
      const verifier = new TokenVerifier({ devKeys: keys });
      const token = await signDevToken(keys, { id: 'u-1', email: 'one@example.com' });
      const first = await verifier.verify(token);
      expect(first.subject).toBe('u-1');
      // The same text again: the remembered result, not a second check.
      expect(await verifier.verify(token)).toBe(first);
      const tampered = `${token.slice(0, -4)}AAAA`;
      await expect(verifier.verify(tampered)).rejects.toThrow('the token is not valid');
      await expect(verifier.verify(tampered)).rejects.toThrow('the token is not valid');
      const expired = await signDevToken(keys, { id: 'u-2', email: 'two@example.com' }, '-1m');
      await expect(verifier.verify(expired)).rejects.toThrow('the token has expired');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
