/**
 * The client side of a BuildKit session, as the Engine API carries it: `POST /session`
 * upgraded to a raw connection on which the engine is the gRPC client and tug the server.
 * Through it the engine's BuildKit asks tug for what only the client has: build secrets
 * (`RUN --mount=type=secret`), ssh agents (`RUN --mount=type=ssh`), registry credentials
 * (from the docker config, as the docker CLI answers: see auth.ts), and whether the session is
 * alive (checked every second on Engine 20.10, which ends the session at the first failed check).
 *
 * The auth service answers `Credentials` only. `GetTokenAuthority` (the docker CLI's way of
 * fetching registry tokens on the client side) is not served: gRPC answers it UNIMPLEMENTED,
 * upon which BuildKit asks `Credentials` and fetches the token itself.
 *
 * The build context itself travels as the build request's body, which every engine with
 * BuildKit accepts, so tug serves no file sync.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { TugError } from '../../../errors.js';
import type { DockerClient } from '../client.js';
import { lookupCredentials } from './auth.js';
import { codec } from './proto.js';

/** A secret the Dockerfile may mount, by id: read from a file, or given as its value. */
export interface SessionSecret {
  id: string;
  file?: string;
  value?: string;
}

/** An ssh agent socket forwarded under an id (`default` unless the Dockerfile names one). */
export interface SessionSsh {
  id: string;
  socket: string;
}

export interface Session {
  id: string;
  close(): void;
}

/** The key under which BuildKit names the ssh id a forwarded connection is for. */
const SSH_ID_KEY = 'buildkit.ssh.id';

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, done: grpc.sendUnaryData<Res>) => void;

function unary<Req, Res>(path: string, req: string, res: string): grpc.MethodDefinition<Req, Res> {
  return { path, requestStream: false, responseStream: false, ...codec<Req, Res>(req, res) };
}

const HEALTH = { Check: unary<object, { status: number }>('/grpc.health.v1.Health/Check', 'HealthCheckRequest', 'HealthCheckResponse') };
const AUTH = { Credentials: unary<{ Host: string }, { Username?: string; Secret?: string }>('/moby.filesync.v1.Auth/Credentials', 'CredentialsRequest', 'CredentialsResponse') };
const SECRETS = { GetSecret: unary<{ ID: string }, { data: Buffer }>('/moby.buildkit.secrets.v1.Secrets/GetSecret', 'GetSecretRequest', 'GetSecretResponse') };
const SSH = {
  CheckAgent: unary<{ ID: string }, object>('/moby.sshforward.v1.SSH/CheckAgent', 'CheckAgentRequest', 'CheckAgentResponse'),
  ForwardAgent: {
    path: '/moby.sshforward.v1.SSH/ForwardAgent', requestStream: true, responseStream: true,
    ...codec<{ data: Buffer }, { data: Buffer }>('BytesMessage', 'BytesMessage'),
  } as grpc.MethodDefinition<{ data: Buffer }, { data: Buffer }>,
};

function notFound(what: string): grpc.ServiceError {
  return Object.assign(new Error(what), { code: grpc.status.NOT_FOUND, details: what, metadata: new grpc.Metadata() });
}

/** Opens a session serving `secrets` and `ssh`; close it once the build's stream has ended. */
export async function openSession(client: DockerClient, provide: { secrets?: SessionSecret[]; ssh?: SessionSsh[] } = {}): Promise<Session> {
  const id = randomUUID();
  const secrets = new Map((provide.secrets ?? []).map((s) => [s.id, s]));
  const agents = new Map((provide.ssh ?? []).map((s) => [s.id, s.socket]));
  const server = new grpc.Server();
  const check: Unary<object, { status: number }> = (_call, done) => done(null, { status: 1 /* SERVING */ });
  server.addService(HEALTH, { Check: check });
  const credentials: Unary<{ Host: string }, { Username?: string; Secret?: string }> = (call, done) => {
    lookupCredentials(call.request.Host).then(
      (c) => done(null, { Username: c.username, Secret: c.secret }),
      // BuildKit reports the pull as failed with this message, as it does for the docker CLI.
      (e: Error) => done(Object.assign(new Error(e.message), { code: grpc.status.UNKNOWN, details: e.message, metadata: new grpc.Metadata() })),
    );
  };
  server.addService(AUTH, { Credentials: credentials });
  const getSecret: Unary<{ ID: string }, { data: Buffer }> = (call, done) => {
    const s = secrets.get(call.request.ID);
    if (!s) return done(notFound(`secret ${call.request.ID} is not given to this build`));
    const read = s.file !== undefined ? readFile(s.file) : Promise.resolve(Buffer.from(s.value ?? ''));
    read.then((data) => done(null, { data }), (e: Error) => done(notFound(`secret ${s.id}: ${e.message}`)));
  };
  server.addService(SECRETS, { GetSecret: getSecret });
  const checkAgent: Unary<{ ID: string }, object> = (call, done) =>
    (agents.has(call.request.ID || 'default') ? done(null, {}) : done(notFound(`no ssh agent ${call.request.ID} is given to this build`)));
  const forwardAgent = (call: grpc.ServerDuplexStream<{ data: Buffer }, { data: Buffer }>): void => {
    const idv = call.metadata.get(SSH_ID_KEY)[0];
    const socket = agents.get(String(idv ?? 'default'));
    if (!socket) return void call.destroy(notFound(`no ssh agent ${String(idv)} is given to this build`));
    forward(call, netConnect(socket));
  };
  server.addService(SSH, { CheckAgent: checkAgent, ForwardAgent: forwardAgent });

  const methods = [HEALTH, AUTH, SECRETS, SSH].flatMap((svc) => Object.values(svc).map((m) => m.path));
  const sock = await client.dial<Socket>('opening a BuildKit session', {
    path: '/session', method: 'POST', hijack: true, isStream: true,
    headers: {
      Upgrade: 'h2c',
      'X-Docker-Expose-Session-Uuid': id,
      'X-Docker-Expose-Session-Name': 'tug',
      'X-Docker-Expose-Session-Sharedkey': id,
      'X-Docker-Expose-Session-Grpc-Method': methods,
    },
    statusCodes: { 101: true, 200: true },
  });
  sock.on('error', () => {}); // the engine drops the session when the build ends
  server.createConnectionInjector(grpc.ServerCredentials.createInsecure()).injectConnection(sock);
  let closed = false;
  return {
    id,
    close: () => {
      if (closed) return;
      closed = true;
      server.forceShutdown();
      sock.destroy();
    },
  };
}

/** Pipes a forwarded ssh-agent connection both ways until either side ends. */
function forward(call: grpc.ServerDuplexStream<{ data: Buffer }, { data: Buffer }>, agent: Socket): void {
  const end = (): void => {
    agent.destroy();
    call.end();
  };
  agent.on('data', (data: Buffer) => call.write({ data }));
  agent.on('end', end);
  agent.on('error', (e) => call.destroy(new TugError('build_failed', `ssh agent: ${e.message}`)));
  call.on('data', (m: { data: Buffer }) => agent.write(m.data));
  call.on('end', () => agent.end());
  call.on('error', () => agent.destroy());
}
