import { Kind, type GraphQLResolveInfo, type SelectionNode } from 'graphql';
import { badInput } from '../../errors';
import type { RequestContext } from '../../domain/context';
import { decodeCursor, decodeInstantCursor, encodeCursor } from '../types/common.type';

export const DEFAULT_PAGE_SIZE = 20;

export function pageSize(ctx: RequestContext, first: number | undefined | null): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  const max = ctx.services.config.maxPageSize;
  if (!Number.isInteger(size) || size < 0 || size > max) throw badInput(`first must be between 0 and ${max}`, { field: 'first', max });
  return size;
}

/** Builds a Relay connection from one page of rows and the keyset values of each row. */
export function connection<T>(rows: T[], hasNextPage: boolean, key: (row: T) => string[]) {
  const edges = rows.map((node) => ({ cursor: encodeCursor(key(node)), node }));
  return { edges, nodes: rows, pageInfo: { hasNextPage, endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null } };
}

export { decodeCursor, decodeInstantCursor };

/** Whether the operation selects `field` on this field's result (directly, or through its fragments). */
export function selects(info: GraphQLResolveInfo, field: string): boolean {
  const seen = new Set<string>();
  const walk = (selections: readonly SelectionNode[]): boolean =>
    selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === field;
      if (selection.kind === Kind.INLINE_FRAGMENT) return walk(selection.selectionSet.selections);
      if (seen.has(selection.name.value)) return false;
      seen.add(selection.name.value);
      return walk(info.fragments[selection.name.value]?.selectionSet.selections ?? []);
    });
  return info.fieldNodes.some((node) => walk(node.selectionSet?.selections ?? []));
}
