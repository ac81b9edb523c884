/**
 * Worker entry: the running service. It holds only the permissions the supervisor computed from
 * the config (see `permissions.ts`) and runs `service_task.ts` until the supervisor asks it to
 * stop.
 *
 * @module
 */

import "./ignore_env.ts";
import { runServiceTask } from "./service_task.ts";
import { serveTask } from "./task.ts";

serveTask(runServiceTask);
