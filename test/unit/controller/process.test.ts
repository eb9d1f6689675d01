// The controller and the agent as real processes: a controller killed with -9 mid-rollout and
// restarted under its name, and one rollout run the way agl-controller's runners start agents.
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentUrls } from '../../../trainer/src/controller/schema';
import { runCli, startCli } from '../../support/cli';
import type { StandInGateway } from '../../support/gateway';
import { MODEL, serve, type Served } from '../serve/fixtures';
import { arithRows, call, groups, KEY, mathConfig, standIn, until } from './fixtures';

describe('controller and agent processes', function () {
  this.timeout(300_000);
  let server: Served;
  let gw: StandInGateway;
  const config = mathConfig();

  before(async () => {
    server = await serve([MODEL, '--port', '0', '--quiet']);
  });
  after(() => server?.stop());
  beforeEach(async () => {
    gw = await standIn(server.url, server.model);
  });
  afterEach(() => gw?.stop());

  const rewards = (rid: string) => gw.allEvents(rid).filter((e) => e.event_type === 'reward');

  it('restarted after kill -9, reports the rollouts it held as failed, posts no reward twice, and carries on', async () => {
    await call(gw, 'POST', '/api/rollouts', groups(arithRows(3, 50), 2, 'x'));
    // A weight sync holds the first rollouts in their model calls while the controller dies.
    await call(gw, 'POST', '/proxy/pause', { retry_after_seconds: 1, reason: 'weight sync' });
    const out = mkdtempSync(join(tmpdir(), 'agent-tune-ctl-kill-'));
    const args = ['--json', 'controller', config, '--gateway', gw.url, '--name', 'ctl-k', '--parallel', '3', '--poll', '0.1', '--output-dir', out, '--exit-when-idle', '2'];
    const first = startCli(args, { env: { AGL_KEY: KEY } });
    const held = () => [...gw.rollouts.values()].filter((r) => r.status.state === 'running' && r.status.last_attempt_id?.startsWith('ctl-k.'));
    await until(() => held().length === 3, 'the controller holds three rollouts');
    await until(() => gw.log.filter((l) => l.status === 429).length >= 3, 'their model calls wait on the pause');
    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL');
    const lost = held().map((r) => r.rollout_id);
    assert.equal(lost.length, 3, 'a killed controller reports nothing');
    for (const rid of lost) assert.equal(rewards(rid).length, 0);

    await call(gw, 'POST', '/proxy/resume');
    const second = await runCli(args, { env: { AGL_KEY: KEY } });
    assert.equal(second.code, 0, second.stderr);
    const result = JSON.parse(second.stdout.trim().split('\n').pop()!);
    assert.equal(result.recovered, 3);
    assert.equal(result.claimed, 3);
    for (const r of gw.rollouts.values()) {
      if (lost.includes(r.rollout_id)) {
        assert.equal(r.status.state, 'failed');
        assert.match(r.status.error_message!, /^controller ctl-k restarted while attempt ctl-k\.[0-9a-f]{8}\.\d+ was running; the attempt was lost$/);
        assert.equal(rewards(r.rollout_id).length, 0);
      } else {
        assert.equal(r.status.state, 'succeeded', r.status.error_message ?? '');
        assert.equal(rewards(r.rollout_id).length, 1);
      }
    }
  });

  it('agent: runs one rollout from AGL_OPENAI_BASE_URL, AGL_EVENT_URL, AGL_KEY and AGL_INPUT, posts its reward, exits 0', async () => {
    const [row] = arithRows(1, 60);
    await call(gw, 'POST', '/api/rollouts', [{ rollout_id: 'job-1', input: row }]);
    // What the Kubernetes reconciler does once the Job exists: the rollout runs under attempt "0".
    await call(gw, 'PATCH', '/api/rollouts/job-1', { status: { state: 'running', last_attempt_id: '0', k8s_job_name: 'agl-rollout-job-1' } });
    const urls = agentUrls(gw.url, 'job-1', '0', true);
    const r = await runCli(['--json', 'agent', config], { env: { AGL_OPENAI_BASE_URL: urls.openai, AGL_EVENT_URL: urls.events, AGL_KEY: KEY, AGL_INPUT: JSON.stringify(row) } });
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(r.code, result.state === 'succeeded' ? 0 : 1, r.stderr);
    assert.equal(result.reward_posted, true);
    const posted = gw.currentEvents('job-1', 'reward');
    assert.equal(posted.length, 1);
    assert.equal(posted[0].data.value, result.reward);
    assert.ok(gw.currentEvents('job-1', 'model_request').length >= 1);
    assert.ok(!r.stdout.includes(KEY) && !r.stderr.includes(KEY));
  });

  it('controller --help and agent --help name the gateway, the Agent Lightning version and the runners\' variables', async () => {
    const ctl = await runCli(['controller', '--help']);
    assert.equal(ctl.code, 0);
    assert.match(ctl.stdout, /Agent Lightning v1\.0\.0/);
    assert.match(ctl.stdout, /--gateway <url>/);
    assert.match(ctl.stdout, /--key-env <name>/);
    const agent = await runCli(['agent', '--help']);
    assert.equal(agent.code, 0);
    assert.match(agent.stdout, /AGL_OPENAI_BASE_URL .*AGL_EVENT_URL .*AGL_KEY/s);
  });

  it('agent: exits 2 naming what is missing when the runner did not set its environment', async () => {
    const r = await runCli(['agent', config], { env: { AGL_OPENAI_BASE_URL: '', AGL_EVENT_URL: '', AGL_INPUT: '' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /AGL_OPENAI_BASE_URL is not set/);
    const bad = await runCli(['agent', config], { env: { AGL_OPENAI_BASE_URL: 'http://gw:8080/v1', AGL_EVENT_URL: 'http://gw:8080/e', AGL_INPUT: '{}' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /AGL_OPENAI_BASE_URL: expected <gateway>\/proxy\/rollout\/<id>\/attempt\/<id>\/mode\/<train\|val>\/openai\/v1/);
  });
});
