import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readRepoFile, root } from '@/deploy/deploy-checks';
import { renderKustomization } from '@/deploy/kubernetes/kustomize';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | boolean>;
  'working-directory'?: string;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  container?: string;
  environment?: string;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
const workflow = parse(readRepoFile('.github/workflows/ci.yml')) as {
  on: { workflow_dispatch: { inputs: { environment: { options: string[] } } } };
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
};
const { test, audit, image, deploy } = workflow.jobs;
/** A GitHub Actions expression as the workflow writes it: `${{ inner }}`. */
const gh = (inner: string) => `\${{ ${inner} }}`;
const runs = (job: Job) => job.steps.flatMap((s) => (s.run ? [s.run] : []));

/** The README's test command: the Quick start's `npm …` line commented as the tests. */
const readmeTestCommand = /^(npm [a-z:-]+)\s+# type-check/m.exec(readRepoFile('README.md'))?.[1];

describe('.github/workflows/ci.yml', () => {
  it('tests with .ci/run, which runs the README’s test command after installing chromium and prometheus', () => {
    expect(readmeTestCommand).toBe('npm test');
    const ciRun = readRepoFile('.ci/run').trim().split('\n');
    expect(ciRun.at(-1)).toBe(readmeTestCommand);
    expect(readRepoFile('.ci/run')).toMatch(/apt-get install[^\n]* chromium/);
    expect(readRepoFile('.ci/run')).toMatch(/apt-get install[^\n]* prometheus/);
    expect(runs(test)).toContain('bash .ci/run');
    // On Debian with the image's Node.js, as .ci/run expects (apt-get as root).
    const base = /^FROM (node:\d+)-bookworm-slim/m.exec(readRepoFile('Dockerfile'))?.[1];
    expect(test.container).toBe(`${base}-bookworm`);
  });

  it('fails on a critical advisory: npm audit in the hosted workflow (the registry here does not answer audits)', () => {
    expect(runs(audit)).toContain('npm audit --audit-level=critical');
  });

  it('builds the Dockerfile and pushes it to GHCR tagged by commit, once the tests and the scan pass, never for a pull request', () => {
    expect(image.needs).toEqual(['test', 'audit']);
    expect(image.if).toBe("github.event_name != 'pull_request'");
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(image.permissions).toEqual({ contents: 'read', packages: 'write' });
    expect(workflow.env.IMAGE).toBe(`ghcr.io/${gh('github.repository_owner')}/notion-sync`);
    const naming = image.steps.find((s) => s.name?.startsWith('Image name'));
    expect(naming?.run).toContain(`:${gh('github.sha')}`);
    const build = image.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with).toMatchObject({ context: '.', file: 'Dockerfile', push: true, tags: gh('steps.name.outputs.image') });
    expect(fs.existsSync(path.join(root, String(build?.with?.file)))).toBe(true);
  });

  it('deploys that image with kubectl apply -k to an overlay that exists, in its namespace; production only by hand', () => {
    expect(deploy.needs).toBe('image');
    const choices = workflow.on.workflow_dispatch.inputs.environment.options;
    expect(choices).toEqual(['development', 'staging', 'production']);
    for (const choice of choices) expect(fs.existsSync(path.join(root, 'deploy/kubernetes/overlays', choice, 'kustomization.yaml'))).toBe(true);
    // A push deploys staging; any other environment needs workflow_dispatch.
    expect(deploy.env?.OVERLAY).toBe(gh("github.event_name == 'workflow_dispatch' && inputs.environment || 'staging'"));
    expect(deploy.environment).toBe(deploy.env?.OVERLAY);
    const setImage = deploy.steps.find((s) => s.run?.startsWith('kustomize edit set image'));
    expect(setImage?.run).toBe(`kustomize edit set image notion-sync=${gh('needs.image.outputs.image')}`);
    expect(setImage?.['working-directory']).toBe(`deploy/kubernetes/overlays/${gh('env.OVERLAY')}`);
    expect(runs(deploy)).toContain(`kubectl apply -k deploy/kubernetes/overlays/${gh('env.OVERLAY')}`);
    // The image name the overlays replace, and the workload whose rollout is awaited.
    for (const choice of choices) {
      const objects = renderKustomization(path.join(root, 'deploy/kubernetes/overlays', choice));
      const workload = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'notion-sync');
      expect(workload, choice).toBeDefined();
      const overlay = parse(readRepoFile(`deploy/kubernetes/overlays/${choice}/kustomization.yaml`)) as { images: { name: string }[] };
      expect(overlay.images.map((i) => i.name)).toEqual(['notion-sync']);
    }
    expect(runs(deploy).join('\n')).toContain('rollout status statefulset/notion-sync');
  });

  it('names secrets only through the environment, never in a command line', () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const run of runs(job)) expect(run).not.toContain('secrets.');
    }
    const kubeconfig = deploy.steps.find((s) => s.name === 'Kubeconfig');
    expect(kubeconfig?.env).toEqual({ KUBECONFIG_B64: gh('secrets.KUBECONFIG_B64') });
    expect(kubeconfig?.run).toContain('umask 077');
  });
});
