import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { settingEntries } from '../../domain/account-settings';
import type { RequestContext } from '../../domain/context';
import { accountFacts } from '../../domain/facts';
import type { AccountEntity } from '../../storage/entities';
import { RequiresPermission } from '../directives';
import { Account } from '../types/account.type';
import { AccountSetting } from '../types/account-setting.type';
import { User } from '../types/user.type';

/** A settings screen: every setting the policy declares for the account, typed, secrets write-only. */
@Resolver(() => Account)
export class AccountSettingsResolver {
  @FieldResolver(() => [AccountSetting], {
    nullable: true,
    description: 'Every setting the policy declares, with its type, value in effect (null for a secret), whether it is set and its last change; null for a viewer without accounts.settings there.',
  })
  @RequiresPermission('accounts.settings', { account: 'id' })
  async settingEntries(@Ctx() ctx: RequestContext, @Root() account: AccountEntity): Promise<AccountSetting[]> {
    const entries = await settingEntries(ctx, account);
    return entries.map(({ setting, value, isSet, updatedAt, updatedByUserId }) => ({
      key: setting.key,
      type: setting.type,
      description: setting.description ?? null,
      value: setting.secret ? null : value,
      defaultValue: setting.secret ? null : (setting.default ?? null),
      isSecret: setting.secret,
      isSet,
      set: isSet,
      updatedAt,
      updatedByUserId,
      accountId: account.id,
    }));
  }
}

@Resolver(() => AccountSetting)
export class AccountSettingResolver {
  @FieldResolver(() => User, { nullable: true, description: 'Who set it last, when the viewer may see them.' })
  updatedBy(@Ctx() ctx: RequestContext, @Root() entry: AccountSetting): Promise<User | null> {
    return entry.updatedByUserId ? ctx.visibleUser(entry.updatedByUserId) : Promise.resolve(null);
  }

  @FieldResolver(() => Boolean, { description: 'Whether the viewer may change this setting on this account now.' })
  async viewerCanChange(@Ctx() ctx: RequestContext, @Root() entry: AccountSetting): Promise<boolean> {
    const account = await ctx.visibleAccount(entry.accountId);
    if (!account) return false;
    return ctx.engine.checkSettingsChange(ctx.requirePrincipal().facts, accountFacts(account), [entry.key]).ok;
  }
}
