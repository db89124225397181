// Prints every HTTP route the app registers, one JSON line each: {"route","methods"}. Run as its
// own process (`node dist/test/helpers/list-http-routes.js`): it loads the app's entry the way the
// devhost does, with a registry in place of the Functions worker, and serves nothing.
import path from 'node:path';
import { installCoreApi } from '../../devhost/install-core-api';
import { Registry } from '../../devhost/registry';

const registry = new Registry();
installCoreApi(registry, () => undefined);
require(path.resolve(__dirname, '..', '..', 'functions', 'index.js'));
for (const fn of registry.byTriggerType('httpTrigger')) {
  const route = (fn.trigger.route as string | undefined) ?? fn.metadata.name;
  const methods = ((fn.trigger.methods as string[] | undefined) ?? []).map((m) => m.toUpperCase());
  console.log(JSON.stringify({ route, methods }));
}
// Loading the app may open handles (clients, timers); the list is all we came for.
process.exit(0);
