import { randomUUID } from 'crypto';
import { skeletonDigest } from '../../src/identifiers';
import { signDevToken } from '../../src/identity';
import { AccountEntity, AuditEventEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id email name } }';
const CREATE_ACCOUNT = 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id name } }';
const CREATE_ROLE = 'mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { name title } }';
const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }';
const START = 'mutation($customer: ID!, $reason: String!) { startImpersonation(customerAccountId: $customer, reason: $reason) { session { id reason } } }';
const END = 'mutation($id: ID!) { endImpersonation(sessionId: $id) { id } }';
const VIEWER = '{ viewer { user { email } } }';

interface EmailCase {
  title: string;
  email: string;
  /** Invited first, in the same test, when the row is about a second spelling of it. */
  existing?: string;
  refused?: 'BAD_USER_INPUT' | 'CONFLICT';
  message?: RegExp;
  /** What is stored and answered when the email is accepted. */
  canonical?: string;
}

const invisible = (cp: string) => new RegExp(`is not an email address: it contains U\\+${cp}, an invisible or control character$`);
const sameAs = (email: string) => new RegExp(`^a user with email ${email} already exists$`);
const LOOKS_ALIKE = /could be taken for the email of an existing user$/;

/** Every way of writing an email that an attacker might try, and what Portico makes of it. */
const EMAILS: EmailCase[] = [
  // Control, format and zero-width characters: refused wherever they stand.
  { title: 'NUL at the end', email: 'admin@acme.example\u0000', refused: 'BAD_USER_INPUT', message: invisible('0000') },
  { title: 'NUL inside the local part', email: 'adm\u0000in@acme.example', refused: 'BAD_USER_INPUT', message: invisible('0000') },
  { title: 'BEL', email: 'ad\u0007min@acme.example', refused: 'BAD_USER_INPUT', message: invisible('0007') },
  { title: 'an ANSI escape (ESC)', email: '\u001b[31madmin@acme.example', refused: 'BAD_USER_INPUT', message: invisible('001B') },
  { title: 'CR LF at the end', email: 'admin@acme.example\r\n', refused: 'BAD_USER_INPUT', message: invisible('000D') },
  { title: 'LF inside', email: 'admin\n@acme.example', refused: 'BAD_USER_INPUT', message: invisible('000A') },
  { title: 'a tab inside', email: 'ad\tmin@acme.example', refused: 'BAD_USER_INPUT', message: invisible('0009') },
  { title: 'DEL', email: 'admin\u007f@acme.example', refused: 'BAD_USER_INPUT', message: invisible('007F') },
  { title: 'a C1 control (NEL)', email: 'adm\u0085in@acme.example', refused: 'BAD_USER_INPUT', message: invisible('0085') },
  { title: 'a zero-width space (U+200B) in the local part', email: 'ad\u200bmin@acme.example', refused: 'BAD_USER_INPUT', message: invisible('200B') },
  { title: 'a zero-width space in the domain', email: 'admin@ac\u200bme.example', refused: 'BAD_USER_INPUT', message: invisible('200B') },
  { title: 'a zero-width joiner', email: 'adm\u200din@acme.example', refused: 'BAD_USER_INPUT', message: invisible('200D') },
  { title: 'a byte-order mark (U+FEFF) in front', email: '\ufeffadmin@acme.example', refused: 'BAD_USER_INPUT', message: invisible('FEFF') },
  { title: 'a right-to-left override (U+202E)', email: 'adm\u202ein@acme.example', refused: 'BAD_USER_INPUT', message: invisible('202E') },
  { title: 'a left-to-right isolate (U+2066)', email: '\u2066admin@acme.example', refused: 'BAD_USER_INPUT', message: invisible('2066') },
  { title: 'a soft hyphen', email: 'adm\u00adin@acme.example', refused: 'BAD_USER_INPUT', message: invisible('00AD') },
  { title: 'a word joiner', email: 'adm\u2060in@acme.example', refused: 'BAD_USER_INPUT', message: invisible('2060') },
  { title: 'the Hangul filler (default ignorable)', email: 'adm\u3164in@acme.example', refused: 'BAD_USER_INPUT', message: invisible('3164') },
  { title: 'a line separator', email: 'admin@acme.example\u2028', refused: 'BAD_USER_INPUT', message: invisible('2028') },
  { title: 'a private-use character', email: 'adm\ue000in@acme.example', refused: 'BAD_USER_INPUT', message: invisible('E000') },
  { title: 'an invisible tag character', email: 'admin\u{E0041}@acme.example', refused: 'BAD_USER_INPUT', message: invisible('E0041') },
  // Not a plain RFC 5322 addr-spec.
  { title: 'a display name', email: 'Alice <admin@acme.example>', refused: 'BAD_USER_INPUT', message: /is not an email address: write the address alone, without a display name or comment$/ },
  { title: 'a comment', email: 'admin(ceo)@acme.example', refused: 'BAD_USER_INPUT', message: /is not an email address: write the address alone, without a display name or comment$/ },
  { title: 'a quoted local part', email: '"admin"@acme.example', refused: 'BAD_USER_INPUT', message: /is not an email address: a quoted local part is not accepted$/ },
  { title: 'a domain literal', email: 'admin@[127.0.0.1]', refused: 'BAD_USER_INPUT', message: /is not an email address: a domain literal is not accepted$/ },
  { title: 'a no-break space inside (NFKC makes it a space)', email: 'adm\u00a0in@acme.example', refused: 'BAD_USER_INPUT', message: /is not an email address: it is not an address of the form name@domain\.tld$/ },
  { title: 'a punycode domain that does not decode', email: 'admin@xn--zz.example', refused: 'BAD_USER_INPUT', message: /is not an email address: xn--zz\.example is not a valid domain name$/ },
  { title: 'a domain label starting with a hyphen', email: 'admin@-acme.example', refused: 'BAD_USER_INPUT', message: /is not an email address: -acme\.example is not a valid domain name$/ },
  { title: 'an underscore in the domain', email: 'admin@acme_corp.example', refused: 'BAD_USER_INPUT', message: /is not an email address: acme_corp\.example is not a valid domain name$/ },
  { title: 'a local part of 65 bytes', email: `${'a'.repeat(65)}@acme.example`, refused: 'BAD_USER_INPUT', message: /is not an email address: the part before @ is longer than 64 bytes$/ },
  // The same address written otherwise: its canonical form is an existing user's.
  { title: 'upper case', email: 'ADMIN@ACME.EXAMPLE', refused: 'CONFLICT', message: sameAs('admin@acme.example') },
  { title: 'fullwidth letters', email: '\uff41dmin@acme.example', refused: 'CONFLICT', message: sameAs('admin@acme.example') },
  { title: 'a fullwidth @', email: 'admin\uff20acme.example', refused: 'CONFLICT', message: sameAs('admin@acme.example') },
  { title: 'a fullwidth domain', email: 'admin@\uff41\uff43\uff4d\uff45.example', refused: 'CONFLICT', message: sameAs('admin@acme.example') },
  { title: 'the Kelvin sign for K', email: '\u212aelvin@acme.example', existing: 'kelvin@acme.example', refused: 'CONFLICT', message: sameAs('kelvin@acme.example') },
  { title: 'an fi ligature', email: '\ufb01nance@acme.example', existing: 'finance@acme.example', refused: 'CONFLICT', message: sameAs('finance@acme.example') },
  { title: 'a combining diaeresis for a precomposed ë', email: 'zoe\u0308@acme.example', existing: 'zo\u00eb@acme.example', refused: 'CONFLICT', message: sameAs('zo\u00eb@acme.example') },
  { title: 'the punycode of an existing Unicode domain', email: 'jurgen@xn--mller-kva.example', existing: 'jurgen@m\u00fcller.example', refused: 'CONFLICT', message: sameAs('jurgen@m\u00fcller.example') },
  // Look-alikes: another address, whose UTS #39 skeleton is an existing user's.
  { title: 'a Cyrillic а', email: '\u0430dmin@acme.example', refused: 'CONFLICT', message: LOOKS_ALIKE },
  { title: 'a Greek α', email: '\u03b1dmin@acme.example', refused: 'CONFLICT', message: LOOKS_ALIKE },
  { title: 'a Greek ο in the domain', email: 'fleet@acme.\u03bfrg.example', existing: 'fleet@acme.org.example', refused: 'CONFLICT', message: LOOKS_ALIKE },
  { title: 'a Cyrillic domain', email: 'admin@\u0430cme.example', refused: 'CONFLICT', message: LOOKS_ALIKE },
  { title: 'the punycode of a Cyrillic domain', email: 'admin@xn--cme-5cd.example', refused: 'CONFLICT', message: LOOKS_ALIKE },
  { title: 'a dotted capital İ', email: 'ADM\u0130N@ACME.EXAMPLE', refused: 'CONFLICT', message: LOOKS_ALIKE },
  { title: 'a dotless ı', email: 'adm\u0131n@acme.example', refused: 'CONFLICT', message: LOOKS_ALIKE },
  { title: 'rn for m', email: 'adrnin@acme.example', refused: 'CONFLICT', message: LOOKS_ALIKE },
  { title: 'the digit 1 for l', email: 'bi1ling@acme.example', refused: 'CONFLICT', message: LOOKS_ALIKE },
  // Accepted, in their canonical form.
  { title: 'the Kelvin sign, folded to k', email: '\u212aatja@acme.example', canonical: 'katja@acme.example' },
  { title: 'an ffi ligature, unfolded', email: 'o\ufb03ce@acme.example', canonical: 'office@acme.example' },
  { title: 'ß, case-folded to ss', email: 'Stra\u00dfe@acme.example', canonical: 'strasse@acme.example' },
  { title: 'final sigma, case-folded to σ', email: '\u03a3\u039f\u03a6\u039f\u03a3@acme.example', canonical: '\u03c3\u03bf\u03c6\u03bf\u03c3@acme.example' },
  { title: 'a combining diaeresis, composed', email: 'Noe\u0308l@acme.example', canonical: 'no\u00ebl@acme.example' },
  { title: 'a punycode domain, kept in Unicode', email: 'Info@XN--MLLER-KVA.example', canonical: 'info@m\u00fcller.example' },
  { title: 'an upper-case Unicode domain', email: 'j\u00fcrgen@M\u00dcLLER.example', canonical: 'j\u00fcrgen@m\u00fcller.example' },
  { title: 'Japanese', email: '\u65e5\u672c@\u65e5\u672c.example', canonical: '\u65e5\u672c@\u65e5\u672c.example' },
  { title: 'spaces around it', email: '  Fleet.Two@Acme.Example  ', canonical: 'fleet.two@acme.example' },
  { title: 'a sub-address', email: 'admin+ops@acme.example', canonical: 'admin+ops@acme.example' },
];

/** Names as people type them in the portal's languages: kept exactly, once trimmed. */
const GOOD_NAMES = [
  { title: 'in German', name: 'J\u00fcrgen M\u00fcller', stored: 'J\u00fcrgen M\u00fcller' },
  { title: 'in French', name: 'Zo\u00eb', stored: 'Zo\u00eb' },
  { title: 'in Polish', name: '\u0141\u00f3d\u017a', stored: '\u0141\u00f3d\u017a' },
  { title: 'in Japanese', name: '\u65e5\u672c', stored: '\u65e5\u672c' },
  { title: 'in Greek', name: '\u0395\u03bb\u03ad\u03bd\u03b7', stored: '\u0395\u03bb\u03ad\u03bd\u03b7' },
  { title: 'in Arabic, right to left', name: '\u0645\u062d\u0645\u062f', stored: '\u0645\u062d\u0645\u062f' },
  { title: 'in Devanagari with combining signs', name: '\u0928\u092e\u0938\u094d\u0924\u0947', stored: '\u0928\u092e\u0938\u094d\u0924\u0947' },
  { title: 'with an emoji joined by ZWJ', name: 'Ada \u{1F469}\u200d\u{1F4BB}', stored: 'Ada \u{1F469}\u200d\u{1F4BB}' },
  { title: 'with spaces around it', name: '  O\u2019Brien & Sons  ', stored: 'O\u2019Brien & Sons' },
];

/** Characters that can break a line, reorder what is shown, or hide text: refused inside any name. */
const BAD_NAMES = [
  { title: 'NUL', name: 'Alice\u0000Admin', cp: '0000' },
  { title: 'BEL', name: 'Alice\u0007', cp: '0007' },
  { title: 'an ANSI escape', name: '\u001b[31mAlice', cp: '001B' },
  { title: 'CR LF inside', name: 'Alice\r\nAdmin', cp: '000D' },
  { title: 'a tab inside', name: 'Alice\tAdmin', cp: '0009' },
  { title: 'DEL', name: 'Alice\u007f', cp: '007F' },
  { title: 'a C1 control (CSI)', name: 'Alice\u009b31m', cp: '009B' },
  { title: 'a left-to-right embedding (U+202A)', name: 'Alice\u202aAdmin', cp: '202A' },
  { title: 'a right-to-left embedding (U+202B)', name: 'Alice\u202bAdmin', cp: '202B' },
  { title: 'a pop directional formatting (U+202C)', name: 'Alice\u202cAdmin', cp: '202C' },
  { title: 'a left-to-right override (U+202D)', name: 'Alice\u202dAdmin', cp: '202D' },
  { title: 'a right-to-left override (U+202E)', name: 'Invoice\u202efdp.exe', cp: '202E' },
  { title: 'a left-to-right isolate (U+2066)', name: 'Alice\u2066Admin', cp: '2066' },
  { title: 'a right-to-left isolate (U+2067)', name: 'Alice\u2067Admin', cp: '2067' },
  { title: 'a first-strong isolate (U+2068)', name: 'Alice\u2068Admin', cp: '2068' },
  { title: 'a pop directional isolate (U+2069)', name: 'Alice\u2069Admin', cp: '2069' },
];

const controlIn = (what: string, cp: string) => new RegExp(`^${what} cannot contain control characters or bidirectional overrides \\(it contains U\\+${cp}\\)$`);

describe.each(databaseKinds())('identifiers people see, on %s', (kind) => {
  describe('dstny', () => {
    let t: TestPortico;
    let acme: AccountEntity;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
      acme = await t.account('Acme Logistics');
    });
    afterAll(() => t?.stop());

    const invite = (email: string, name = 'Someone') => t.gql(OPERATOR, INVITE, { input: { accountId: acme.id, email, name, roles: [] } });
    const auditOf = () => t.portico.services.db.manager.countBy(AuditEventEntity, { subjectAccountId: acme.id });

    describe('emails', () => {
      it.each(EMAILS)('inviteUser with $title', async ({ email, existing, refused: code, message, canonical }) => {
        if (existing) expect(ok(await invite(existing)).inviteUser.email).toBe(existing);
        const users = await t.portico.services.db.manager.count(UserEntity);
        const trail = await auditOf();
        if (code) {
          // The shared helper asserts the exact code and that no table changed; here also the counts, said plainly.
          await refused(t, OPERATOR, INVITE, { input: { accountId: acme.id, email, name: 'Look-alike', roles: [] } }, code, message);
          expect(await t.portico.services.db.manager.count(UserEntity)).toBe(users);
          expect(await auditOf()).toBe(trail);
          return;
        }
        const created = ok(await invite(email)).inviteUser;
        expect(created.email).toBe(canonical);
        const stored = await t.user(canonical!);
        expect(stored).toMatchObject({ id: created.id, email: canonical, emailSkeleton: skeletonDigest(canonical!) });
        expect(await t.portico.services.db.manager.count(UserEntity)).toBe(users + 1);
        const event = await t.portico.services.db.manager.findOneByOrFail(AuditEventEntity, { targetId: created.id, action: 'user.invite' });
        expect(event.details).toMatchObject({ email: canonical });
      });

      it('covers every kind of hostile string the issue names, and at least 30 of them', () => {
        const hostile = EMAILS.filter((c) => c.refused || c.email !== c.canonical);
        expect(hostile.length).toBeGreaterThanOrEqual(30);
        const all = EMAILS.map((c) => c.email).join('');
        for (const char of ['\u0000', '\u0007', '\u001b', '\r', '\n', '\u200b', '\ufeff', '\u202e', '\uff41', '\u0430', '\u03b1', '\u0130', '\u0131', '\u212a', '\ufb01', '\u0308']) expect(all).toContain(char);
        expect(all).toContain('xn--');
      });

      it('a look-alike email in a token claim signs nobody in', async () => {
        const token = await signDevToken(t.portico.devKeys!, { id: randomUUID(), email: '\u0430dmin@acme.example' });
        const before = await t.snapshot();
        const result = await t.gql({ token }, VIEWER);
        expect(result.status).toBe(401);
        expect(codes(result)).toEqual(['UNAUTHENTICATED']);
        expect(await t.snapshot()).toEqual(before);
      });

      it('the stored emails and skeletons of the demo users are canonical', async () => {
        const users = await t.portico.services.db.manager.find(UserEntity);
        for (const user of users) expect(user.emailSkeleton).toBe(skeletonDigest(user.email));
        expect(users.map((u) => u.email)).toContain('admin@platform.local');
      });
    });

    describe('names', () => {
      const partner = () => t.account('Northwind Telecom');

      it.each(GOOD_NAMES)('an account name $title is accepted as written', async ({ name, stored }) => {
        const created = ok(await t.gql(OPERATOR, CREATE_ACCOUNT, { input: { type: 'CUSTOMER', name, parentId: (await partner()).id } })).createAccount;
        expect(created.name).toBe(stored);
        expect((await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { id: created.id })).name).toBe(stored);
      });

      it.each(GOOD_NAMES)('a user name $title is accepted as written', async ({ name, stored }) => {
        const email = `named-${randomUUID().slice(0, 8)}@acme.example`;
        const created = ok(await invite(email, name)).inviteUser;
        expect(created.name).toBe(stored);
        expect((await t.user(email)).name).toBe(stored);
      });

      it.each(BAD_NAMES)('an account name with $title is BAD_USER_INPUT', async ({ name, cp }) => {
        await refused(t, OPERATOR, CREATE_ACCOUNT, { input: { type: 'CUSTOMER', name, parentId: (await partner()).id } }, 'BAD_USER_INPUT', controlIn('an account name', cp));
      });

      it.each(BAD_NAMES)('a user name with $title is BAD_USER_INPUT', async ({ name, cp }) => {
        const users = await t.portico.services.db.manager.count(UserEntity);
        const trail = await auditOf();
        await refused(t, OPERATOR, INVITE, { input: { accountId: acme.id, email: 'named@acme.example', name, roles: [] } }, 'BAD_USER_INPUT', controlIn('a user name', cp));
        expect(await t.portico.services.db.manager.count(UserEntity)).toBe(users);
        expect(await auditOf()).toBe(trail);
      });

      describe('impersonation reasons', () => {
        let grantId: string;
        beforeAll(async () => {
          grantId = ok(await t.gql('admin@acme.example', GRANT, { input: { customerAccountId: acme.id, rights: ['tickets:create'] } })).grantImpersonation.id;
        });

        it.each(BAD_NAMES)('a reason with $title is BAD_USER_INPUT', async ({ name, cp }) => {
          await refused(t, 'ppm@northwind.example', START, { customer: acme.id, reason: name }, 'BAD_USER_INPUT', controlIn('a reason', cp));
        });

        it.each(GOOD_NAMES)('a reason $title is kept as written', async ({ name, stored }) => {
          expect(grantId).toBeDefined();
          const { session } = ok(await t.gql('ppm@northwind.example', START, { customer: acme.id, reason: name })).startImpersonation;
          expect(session.reason).toBe(stored);
          ok(await t.gql('ppm@northwind.example', END, { id: session.id }));
        });
      });
    });
  });

  describe('unifyr custom role titles', () => {
    let t: TestPortico;
    let northwind: AccountEntity;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'unifyr');
      northwind = await t.account('Northwind Solutions');
    });
    afterAll(() => t?.stop());

    const input = (title: string) => ({ accountId: northwind.id, accountType: 'PARTNER', name: `ROLE_${randomUUID().slice(0, 8).toUpperCase()}`, title, permissions: [{ permission: 'content:read' }] });

    it.each(GOOD_NAMES)('a title $title is accepted as written', async ({ name, stored }) => {
      expect(ok(await t.gql('supplier@platform.local', CREATE_ROLE, { input: input(name) })).createCustomRole.title).toBe(stored);
    });

    it.each(BAD_NAMES)('a title with $title is BAD_USER_INPUT', async ({ name, cp }) => {
      await refused(t, 'supplier@platform.local', CREATE_ROLE, { input: input(name) }, 'BAD_USER_INPUT', controlIn('a role title', cp));
    });
  });
});
