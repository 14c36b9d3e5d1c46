import { type Dockerfile, DockerfileParser, type Instruction } from 'dockerfile-ast';

/** One build stage: its FROM and the instructions up to the next FROM. */
export interface Stage {
  name?: string;
  image: string;
  instructions: Instruction[];
}

/** A Dockerfile's instructions by stage (arguments as written, line continuations joined). */
export function stagesOf(dockerfile: Dockerfile): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image = '', as, name] = (instruction.getArgumentsContent() ?? '').split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

export const argumentsOf = (instruction: Instruction): string => (instruction.getArgumentsContent() ?? '').replace(/\s+/g, ' ').trim();

/** The exec (JSON) form's words, or undefined for the shell form. */
export function execForm(instruction: Instruction): string[] | undefined {
  const text = argumentsOf(instruction).replace(/^(CMD\s+)?/, '');
  if (!text.startsWith('[')) return undefined;
  const words: unknown = JSON.parse(text);
  return Array.isArray(words) && words.every((w) => typeof w === 'string') ? words : undefined;
}

interface Flagged {
  getFlags?(): { getName(): string; getValue(): string | null }[];
}

/** An instruction's flags (`--from=build`, `--timeout=10s`): name → value. */
export function flagsOf(instruction: Instruction): Record<string, string> {
  const flags = (instruction as Instruction & Flagged).getFlags?.() ?? [];
  return Object.fromEntries(flags.map((flag) => [flag.getName(), flag.getValue() ?? '']));
}

/** COPY's flags (`--from`, `--chmod`…) and its sources and destination. */
export function copyOf(instruction: Instruction): { flags: Record<string, string>; sources: string[]; destination: string } {
  const words = argumentsOf(instruction).split(' ');
  const destination = words.pop() ?? '';
  return { flags: flagsOf(instruction), sources: words, destination };
}

/**
 * hadolint's rules that apply to a Node image on Debian (its rule ids in brackets), checked by
 * reading the file: hadolint itself is not installed here. Each problem names its line.
 */
export function lintDockerfile(text: string): string[] {
  const dockerfile = DockerfileParser.parse(text);
  const problems: string[] = [];
  const at = (instruction: Instruction, problem: string) => problems.push(`line ${instruction.getRange().start.line + 1}: ${problem}`);
  const stages = stagesOf(dockerfile);
  const known = new Set<string>();
  for (const stage of stages) {
    const from = stage.instructions[0];
    if (!known.has(stage.image)) {
      const tag = stage.image.split('@')[0].split('/').at(-1)?.split(':')[1];
      if (!stage.image.includes('@') && tag === undefined) at(from, `[DL3006] tag the image ${stage.image} explicitly`);
      if (tag === 'latest') at(from, `[DL3007] do not use the latest tag (${stage.image})`);
    }
    const kinds = stage.instructions.map((i) => i.getKeyword());
    for (const keyword of ['CMD', 'ENTRYPOINT', 'HEALTHCHECK']) {
      if (kinds.filter((k) => k === keyword).length > 1) at(from, `[DL4003/DL4004/DL3012] more than one ${keyword} in a stage`);
    }
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const args = argumentsOf(instruction);
      if (keyword === 'WORKDIR' && !args.startsWith('/')) at(instruction, `[DL3000] WORKDIR must be absolute (${args})`);
      if (keyword === 'MAINTAINER') at(instruction, '[DL4000] MAINTAINER is deprecated: use a label');
      if (keyword === 'ADD' && !/^(https?:|git@)/.test(args)) at(instruction, '[DL3020] COPY files and folders, not ADD');
      if ((keyword === 'CMD' || keyword === 'ENTRYPOINT') && execForm(instruction) === undefined) {
        at(instruction, `[DL3025] ${keyword} in the exec (JSON) form, so signals reach the process`);
      }
      if (keyword === 'COPY') {
        const { flags, sources, destination } = copyOf(instruction);
        if (sources.length > 1 && !destination.endsWith('/')) at(instruction, '[DL3021] COPY of several sources: the destination must end with /');
        if (flags.from !== undefined && !known.has(flags.from)) at(instruction, `[DL3022] COPY --from=${flags.from} names no earlier stage`);
        if (flags.from !== undefined && flags.from === stage.name) at(instruction, '[DL3023] COPY --from its own stage');
      }
      if (keyword === 'RUN') {
        for (const command of args.split(/&&|;|\|\|/).map((c) => c.trim())) {
          if (/^sudo\b/.test(command)) at(instruction, '[DL3004] no sudo: the build runs as root');
          if (/^cd\s/.test(command)) at(instruction, '[DL3003] use WORKDIR instead of cd');
          if (/^apt(-get)?\s+(\S+\s+)*install\b/.test(command)) {
            if (!/\s(-y|--yes|-qq?y|--assume-yes)\b/.test(command)) at(instruction, '[DL3014] apt-get install -y');
            if (!command.includes('--no-install-recommends')) at(instruction, '[DL3015] apt-get install --no-install-recommends');
          }
          if (/^npm\s+(install|i)\b/.test(command) && !/\s-g\b|--global/.test(command)) at(instruction, '[DL3016] npm ci from the lockfile, not npm install');
        }
        if (/apt-get\s+(\S+\s+)*install/.test(args) && !/rm -rf \/var\/lib\/apt\/lists/.test(args)) {
          at(instruction, '[DL3009] remove /var/lib/apt/lists in the RUN that installs');
        }
      }
    }
    if (stage.name) known.add(stage.name);
  }
  const last = stages.at(-1);
  const user = last?.instructions.filter((i) => i.getKeyword() === 'USER').at(-1);
  if (!last) problems.push('no FROM');
  else if (!user) problems.push('[DL3002] the last stage sets no USER: it would run as root');
  else if (/^(root|0)(:|$)/.test(argumentsOf(user))) at(user, '[DL3002] the last USER must not be root');
  return problems;
}
