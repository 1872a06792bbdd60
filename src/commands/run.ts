import { Args, Flags } from '@oclif/core';
import { TsdError } from '../../guest/api/errors.js';
import { connectEngine } from '../engine-client/engine-target.js';
import { buildCreateBody } from '../engine-client/verbs/run-options.js';
import { bindsForTarget, readEnvFiles } from '../engine-client/verbs/run-target.js';
import { runContainer } from '../engine-client/verbs/run.js';
import { shapesOf, splitArgv } from '../engine-client/verbs/split-argv.js';
import { ExitStatus, VerbCommand } from '../engine-client/verb-command.js';

export default class Run extends VerbCommand {
  static override summary = 'Create and run a container: tsd run [OPTIONS] IMAGE [COMMAND] [ARG...]';
  static override description =
    "docker run's flags and exit codes (125 engine error, 126 cannot invoke, 127 not found, else the container's). " +
    'Talks to the default machine (started when needed), or to the engine at $TSD_ENGINE_SOCKET.';
  static override examples = ['<%= config.bin %> run -d -p 8080:80 nginx', '<%= config.bin %> run -it --rm busybox sh'];
  static override strict = false;
  static override args = { image: Args.string({ description: 'image', required: false, ignoreStdin: true }) };
  static override flags = {
    detach: Flags.boolean({ char: 'd', description: 'run in the background and print the container ID' }),
    interactive: Flags.boolean({ char: 'i', description: 'keep stdin open and attach it' }),
    tty: Flags.boolean({ char: 't', description: 'allocate a pseudo-TTY' }),
    rm: Flags.boolean({ description: 'remove the container when it exits' }),
    name: Flags.string({ description: 'container name' }),
    publish: Flags.string({ char: 'p', multiple: true, description: 'publish a port: [ip:][hostPort:]containerPort[/proto]' }),
    'publish-all': Flags.boolean({ char: 'P', description: 'publish all exposed ports to random host ports' }),
    env: Flags.string({ char: 'e', multiple: true, description: 'set an environment variable (KEY=value, or KEY from yours)' }),
    'env-file': Flags.string({ multiple: true, description: 'read environment variables from a file' }),
    volume: Flags.string({ char: 'v', multiple: true, description: 'bind mount or volume: SRC:DST[:OPTS]; host paths must be in a folder the machine shares' }),
    workdir: Flags.string({ char: 'w', description: 'working directory inside the container' }),
    user: Flags.string({ char: 'u', description: 'user (name|uid[:group|gid])' }),
    network: Flags.string({ description: 'network to connect to' }),
    restart: Flags.string({ description: 'restart policy: no, always, unless-stopped, on-failure[:N]' }),
    memory: Flags.string({ char: 'm', description: 'memory limit (e.g. 512m)' }),
    cpus: Flags.string({ description: 'number of CPUs (e.g. 1.5)' }),
    'pids-limit': Flags.integer({ description: 'process limit (-1 for none)' }),
    entrypoint: Flags.string({ description: "override the image's entrypoint" }),
    label: Flags.string({ char: 'l', multiple: true, description: 'label KEY=value' }),
    hostname: Flags.string({ char: 'h', description: 'container hostname' }),
    init: Flags.boolean({ description: 'run an init inside the container that forwards signals and reaps processes' }),
    platform: Flags.string({ description: 'platform of the image (e.g. linux/arm64)' }),
    privileged: Flags.boolean({ description: 'give extended privileges to the container' }),
    'cap-add': Flags.string({ multiple: true, description: 'add a Linux capability' }),
    'cap-drop': Flags.string({ multiple: true, description: 'drop a Linux capability' }),
    'read-only': Flags.boolean({ description: "mount the container's root filesystem read-only" }),
    'add-host': Flags.string({ multiple: true, description: 'add a host-to-IP mapping (host:ip)' }),
    dns: Flags.string({ multiple: true, description: 'DNS server' }),
    'stop-signal': Flags.string({ description: 'signal to stop the container' }),
    'stop-timeout': Flags.integer({ description: 'seconds to wait before killing the container on stop' }),
  };

  async run(): Promise<void> {
    const split = splitArgv(this.argv, shapesOf(Run.flags));
    const { flags } = await this.parse(Run, split.flags);
    const [image, ...command] = split.rest;
    if (image === undefined) throw new TsdError('invalid-argument', '"tsd run" requires at least 1 argument: tsd run [OPTIONS] IMAGE [COMMAND] [ARG...]');
    const plan = buildCreateBody(
      image,
      command,
      {
        detach: flags.detach,
        interactive: flags.interactive,
        tty: flags.tty,
        rm: flags.rm,
        name: flags.name,
        publish: flags.publish ?? [],
        publishAll: flags['publish-all'],
        env: flags.env ?? [],
        envFileLines: await readEnvFiles(flags['env-file'] ?? []),
        volume: flags.volume ?? [],
        workdir: flags.workdir,
        user: flags.user,
        network: flags.network,
        restart: flags.restart,
        memory: flags.memory,
        cpus: flags.cpus,
        pidsLimit: flags['pids-limit'],
        entrypoint: flags.entrypoint,
        label: flags.label ?? [],
        hostname: flags.hostname,
        init: flags.init,
        privileged: flags.privileged,
        capAdd: flags['cap-add'] ?? [],
        capDrop: flags['cap-drop'] ?? [],
        readOnly: flags['read-only'],
        addHost: flags['add-host'] ?? [],
        dns: flags.dns ?? [],
        stopSignal: flags['stop-signal'],
        stopTimeout: flags['stop-timeout'],
      },
      process.env,
      process.cwd(),
    );
    const { client, target } = await connectEngine(this.ui);
    plan.body.HostConfig.Binds = await bindsForTarget(plan.body.HostConfig.Binds, plan.bindSources, target, process.env);
    const stdio = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
    const code = await runContainer(client, { body: plan.body, name: flags.name, platform: flags.platform, detach: flags.detach }, stdio);
    throw new ExitStatus(code);
  }
}
