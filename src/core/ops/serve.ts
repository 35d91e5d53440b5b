import { startServer, type RunningServer, type ServerEvent } from '../serve/server';
import type { Workspace } from '../project/workspace';

export interface ServeRequest {
  /** Default: prodml.yaml `serving.port`, else 8501; 0 picks a free port. */
  port?: number;
  /** Default: prodml.yaml `serving.host`, else 127.0.0.1. */
  host?: string;
  /** Serve only these models (default: every prodml.yaml model with a registered version). */
  models?: string[];
  onEvent?: (e: ServerEvent) => void;
}

export type { RunningServer, ServerEvent };

/** Starts the prediction server (TF Serving REST); it follows promotions and rollbacks until closed. */
export function serve(ws: Workspace, req: ServeRequest): Promise<RunningServer> {
  return startServer({
    root: ws.root,
    ...(req.port !== undefined ? { port: req.port } : {}),
    ...(req.host ? { host: req.host } : {}),
    ...(req.models?.length ? { models: req.models } : {}),
    ...(req.onEvent ? { onEvent: req.onEvent } : {}),
  });
}
