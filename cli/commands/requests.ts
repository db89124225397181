// jit requests: the signed-in person's own requests, roles' and groups', newest first.
import { KINDS, paths } from '../api-paths';
import { type CommonOptions, signedIn } from '../context';
import { Directory } from '../directory';
import { table } from '../output';
import { kindOfRequest, type ScheduleRequest } from '../requests';

export async function requests(options: CommonOptions & { all?: boolean }): Promise<void> {
  const { client, out } = signedIn(options);
  const directory = new Directory(client);
  const lists = await Promise.all(KINDS.map((kind) => client.list<ScheduleRequest>(paths.myRequests(kind))));
  const all = lists.flat().sort((a, b) => b.createdDateTime.localeCompare(a.createdDateTime));
  const value = await Promise.all(
    all.map(async (r) => {
      const kind = kindOfRequest(r);
      const id = (kind === 'role' ? r.roleDefinitionId : r.groupId) ?? '';
      return { ...r, kind, targetDisplayName: await directory.nameOf(kind, id) };
    }),
  );
  out.result({ value }, () => {
    if (!value.length) return 'No requests.';
    return table(
      ['ID', 'CREATED', 'ACTION', 'TARGET', 'STATUS'],
      value.map((r) => [r.id, r.createdDateTime, r.action, r.targetDisplayName, r.status]),
    );
  });
}
