// The one source of truth for `*.tune.yaml`. JSON Schema draft-07: the draft that ajv,
// VS Code's JSON service and Red Hat's YAML extension all implement fully, so the editor,
// the CLI and third-party tooling read the same rules.
//
// Every property carries a description, a default where one makes sense, and examples,
// because hovers and completions are generated from them.

const REF_PATTERN = '^(builtin:[A-Za-z0-9_./-]+|[^#]+#[A-Za-z_$][A-Za-z0-9_$]*|[^#]+)$';

const ref = (description: string, examples: string[]) => ({ type: 'string', description, pattern: REF_PATTERN, examples }) as const;

const refWithDefault = <D extends string>(description: string, examples: string[], dflt: D) =>
  ({ type: 'string', description, pattern: REF_PATTERN, examples, default: dflt }) as const;

const seconds = (description: string, dflt: number) =>
  ({ type: 'number', exclusiveMinimum: 0, description, default: dflt, examples: [dflt] }) as const;

const isolation = (what: string) =>
  ({
    type: 'string',
    enum: ['thread', 'process'],
    enumDescriptions: [
      `A worker thread of the trainer: fast, breakpoints bind under the debugger. process.exit ends only the worker; process.kill of the trainer is refused; a \`kill\` that ${what} starts can reach the trainer.`,
      `A child process of its own, in its own PID namespace where user namespaces work: process.exit, signals and a \`kill\` that ${what} starts cannot reach the trainer; the job fails and the next one goes on. Breakpoints do not bind.`,
    ],
    description: `Where a ${what} from your own module runs (docs/judges.md, "Isolation").`,
    default: 'thread',
    examples: ['thread', 'process'],
  }) as const;

const TASK_PRESETS = ['gsm8k', 'math', 'math500', 'aime24', 'aime25', 'olympiadbench', 'deepscaler', 'guru_math'] as const;

const sourceProperties = {
  path: {
    type: 'string',
    description:
      'A data file (JSONL, JSON, Parquet), a folder of shards or a `save_to_disk` folder, relative to this config; `hf://datasets/OWNER/NAME[@REVISION][/CONFIG]`, read from the local Hugging Face cache; or a built-in task set (`builtin:arith/train`, `builtin:arith/test`). With a `preset`, defaults to the preset\'s data set in the hub cache.',
    examples: ['builtin:arith/train', '../data/gsm8k/train.jsonl', 'hf://datasets/openai/gsm8k/main'],
  },
  preset: {
    type: 'string',
    enum: TASK_PRESETS,
    enumDescriptions: [
      'GSM8K (`openai/gsm8k`, config `main`): `question`; the final answer after `####` in `answer`.',
      'MATH (`DigitalLearningGmbH/MATH-lighteval`): `problem`; the last `\\boxed{}` of `solution`; `level` feature.',
      'MATH-500 (`HuggingFaceH4/MATH-500`): `problem`, `answer`, `unique_id`; `level` feature.',
      'AIME 2024 (`HuggingFaceH4/aime_2024`): `id`, `problem`, `answer`.',
      'AIME 2025 (`yentinglin/aime_2025`): `id`, `problem`, `answer`.',
      'OlympiadBench (`Hothan/OlympiadBench`, config `OE_TO_maths_en_COMP`): `id`, `question`, `final_answer` list.',
      'DeepScaleR-Preview (`agentica-org/DeepScaleR-Preview-Dataset`): `problem`, `answer`.',
      'Guru maths (`LLM360/guru-RL-92k`, verl layout): chat `prompt`, `reward_model.ground_truth`, pass-rate features.',
    ],
    description: 'A known data set: sets the field mapping, how the reference answer is extracted, the id, difficulty features and a prompt suffix. docs/datasets.md lists the columns each expects.',
    examples: ['gsm8k', 'math500'],
  },
  split: {
    type: 'string',
    description: 'The split to read from a folder or hub data set (`train`, `test`, ...). Defaults to `train` for `tasks.train` and `test` for `tasks.test` when the source has that split.',
    examples: ['train', 'test'],
  },
  config: {
    type: 'string',
    description: 'The config (subset) of a folder or hub data set with several, such as `main` or `socratic` of GSM8K.',
    examples: ['main'],
  },
  format: {
    type: 'string',
    enum: ['jsonl', 'json', 'gsm8k', 'parquet', 'arrow'],
    enumDescriptions: [
      'One JSON object a line.',
      'A JSON array of objects.',
      'GSM8K JSONL: `question`, and `answer` whose final value follows `####`.',
      'An Apache Parquet table, one row a task.',
      'Arrow IPC files, as `datasets.save_to_disk` writes them.',
    ],
    description: 'File format. Inferred from the file extension when left out (`.jsonl`, `.json`, `.parquet`, `.arrow`).',
    examples: ['gsm8k'],
  },
  fields: {
    type: 'object',
    description: 'Which record fields hold the task id, the question, the reference answer and features; over a preset, these replace its columns. A dotted name reaches into a struct column (`reward_model.ground_truth`).',
    additionalProperties: false,
    properties: {
      id: { type: 'string', description: 'Field with a unique task id (default `id`); the row number is used when absent.', examples: ['id', 'uid'] },
      question: { type: 'string', description: 'Field with the prompt shown to the agent (default `question`).', examples: ['question', 'problem'] },
      answer: { type: 'string', description: 'Field with the reference answer given to the judge (default `answer`).', examples: ['answer', 'solution'] },
      features: {
        type: 'array',
        items: { type: 'string' },
        uniqueItems: true,
        description: 'Numeric fields kept as task features, for example a difficulty used by task selectors.',
        examples: [['difficulty']],
      },
    },
  },
  limit: {
    type: 'integer',
    minimum: 1,
    description: 'Use only the first N tasks of the source; reading stops there.',
    examples: [100, 1000],
  },
  prompt_suffix: {
    type: 'string',
    description: "Text appended to each question after a blank line; a preset sets the field's usual one, and `''` removes it.",
    examples: ['Please reason step by step, and put your final answer within \\boxed{}.'],
  },
} as const;

const taskSource = (which: string) =>
  ({
    type: 'object',
    description: `Where the ${which} tasks come from and how their fields map onto a task. Give \`path\`, \`preset\` or both.`,
    additionalProperties: false,
    properties: sourceProperties,
  }) as const;

const trainSource = {
  ...taskSource('training'),
  description: 'Where the training tasks come from: `path` and/or `preset`, or a weighted `mix` of sources.',
  properties: {
    ...sourceProperties,
    mix: {
      type: 'array',
      minItems: 1,
      description: 'Draw training tasks from several sources by weight. Task ids become `SOURCE/ID`, and each rollout records its source.',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...sourceProperties,
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: 'The source\'s name in ids, rollouts and metrics; the preset or file name by default.', examples: ['gsm8k'] },
          weight: { type: 'number', exclusiveMinimum: 0, description: 'Relative share of the drawn tasks.', default: 1, examples: [0.7] },
        },
      },
      examples: [[{ preset: 'gsm8k', weight: 0.7 }, { preset: 'math', weight: 0.3 }]],
    },
  },
} as const;

export const tuneSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://agent-tune.dev/schema/tune.schema.json',
  title: 'Agent Tune config',
  description: 'An Agent Tune run: the model, the tasks, the agent workflow, its tools, the judge, and how to train.',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'tasks'],
  properties: {
    name: {
      type: 'string',
      description: 'Name of this tuning job; run directories are named `<time>-<name>`.',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      minLength: 1,
      maxLength: 80,
      examples: ['math-agent'],
    },
    description: {
      type: 'string',
      description: 'Free text about this job, shown in the run list.',
      examples: ['GRPO on arithmetic word problems with a calculator tool'],
    },
    seed: {
      type: 'integer',
      minimum: 0,
      description: 'Seed for every random choice of the trainer: task order, sampling, adapter initialisation.',
      default: 0,
      examples: [0, 42],
    },
    model: {
      type: 'object',
      description: 'The policy: a local ONNX causal LM or an OpenAI-compatible server.',
      additionalProperties: false,
      default: {},
      properties: {
        backend: {
          type: 'string',
          enum: ['onnx', 'openai'],
          enumDescriptions: [
            'A local ONNX causal LM in Hugging Face layout, run with onnxruntime-node. Trainable.',
            'An OpenAI-compatible Chat Completions server (vLLM, SGLang, llama.cpp, Ollama). Rollouts only.',
          ],
          description: 'Which backend generates the agent turns.',
          default: 'onnx',
          examples: ['onnx'],
        },
        path: {
          type: 'string',
          description: 'ONNX backend: a model folder in Hugging Face layout, relative to this config, or `builtin:tiny-math`.',
          default: 'builtin:tiny-math',
          examples: ['builtin:tiny-math', './models/Qwen2.5-0.5B-Instruct'],
        },
        threads: {
          type: 'integer',
          minimum: 0,
          description: 'Intra-op threads for onnxruntime; 0 lets onnxruntime choose.',
          default: 0,
          examples: [0, 2],
        },
        lanes: {
          type: 'integer',
          minimum: 0,
          description: 'ONNX backend: model sessions that decode side by side on worker threads, sharing `threads` (every core when 0). While one lane\'s tokens are sampled the others compute, and a small model\'s operators are too short to split among threads, so small models generate faster with a lane per core. Each lane holds the weights again. 0 picks: one lane per thread, at most 4, for weights under 32 MiB (such as builtin:tiny-math), else 1. A seeded run replays exactly with the same lanes; a different count moves logits in their last bits.',
          default: 0,
          examples: [0, 1, 2],
        },
        kv_cache_mb: {
          type: 'number',
          exclusiveMinimum: 0,
          description: 'ONNX backend: most MiB of KV cache for the sequences decoded at once, reserved for each sequence\'s prompt and its whole `max_new_tokens`. Sequences past it wait for room, so `rollout.parallel` bounds rollouts in flight and this bounds memory. onnxruntime\'s arena holds up to about four times the cache during decoding (a step\'s input and output, the attention\'s copies, and room it keeps). Qwen3-0.6B with a float32 cache keeps 224 KiB a token, so 512 MiB holds 4 sequences of 510 tokens.',
          default: 512,
          examples: [512, 2048],
        },
        sampling: {
          type: 'object',
          description: 'How tokens are sampled during rollouts.',
          additionalProperties: false,
          default: {},
          properties: {
            temperature: {
              type: 'number',
              minimum: 0,
              description: 'Softmax temperature; 0 means greedy decoding.',
              default: 1,
              examples: [1, 0.7, 0],
            },
            top_p: {
              type: 'number',
              exclusiveMinimum: 0,
              maximum: 1,
              description: 'Nucleus sampling: keep the smallest set of tokens whose probability sums to at least top_p.',
              default: 1,
              examples: [1, 0.95],
            },
            top_k: {
              type: 'integer',
              minimum: 0,
              description: 'Keep only the k most likely tokens; 0 keeps all.',
              default: 0,
              examples: [0, 50],
            },
            max_new_tokens: {
              type: 'integer',
              minimum: 1,
              description: 'Most tokens generated in one assistant turn; a turn that reaches it is flagged truncated.',
              default: 256,
              examples: [256, 1024],
            },
            stop: {
              type: 'array',
              items: { type: 'string', minLength: 1 },
              description: 'Extra strings that end a turn, besides the model\'s end-of-sequence tokens.',
              default: [],
              examples: [['</answer>']],
            },
            seed: {
              type: 'integer',
              minimum: 0,
              description: 'Seed for sampling only; the top-level `seed` is used when absent.',
              examples: [1234],
            },
          },
        },
        openai: {
          type: 'object',
          description: 'OpenAI backend: the server to call.',
          additionalProperties: false,
          required: ['base_url', 'model'],
          properties: {
            base_url: {
              type: 'string',
              description: 'Base URL of the OpenAI-compatible API, up to and including `/v1`.',
              pattern: '^https?://',
              examples: ['http://127.0.0.1:8000/v1'],
            },
            model: {
              type: 'string',
              description: 'Model name the server knows.',
              examples: ['Qwen/Qwen2.5-7B-Instruct'],
            },
            api_key_env: {
              type: 'string',
              description: 'Name of the environment variable that holds the API key. The key itself never goes into configs, logs or run directories.',
              pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
              default: 'OPENAI_API_KEY',
              examples: ['OPENAI_API_KEY', 'VLLM_API_KEY'],
            },
            concurrency: {
              type: 'integer',
              minimum: 1,
              description: 'Most requests in flight at once.',
              default: 16,
              examples: [16, 64],
            },
            timeout_s: seconds('Timeout of one request, in seconds.', 120),
            max_retries: {
              type: 'integer',
              minimum: 0,
              description: 'Retries with exponential backoff on 429, 5xx and connection errors.',
              default: 4,
              examples: [4],
            },
            logprobs: {
              type: 'boolean',
              description: "Ask for the sampled tokens' logprobs (recorded per turn). Turn off for servers that refuse them.",
              default: true,
              examples: [true],
            },
          },
        },
      },
    },
    tasks: {
      type: 'object',
      description: 'The training and test tasks, and how training tasks are chosen at each step.',
      additionalProperties: false,
      required: ['train'],
      properties: {
        train: trainSource,
        test: taskSource('evaluation'),
        selector: {
          type: 'object',
          description: 'How the tasks of each training step are chosen.',
          additionalProperties: false,
          default: {},
          properties: {
            type: {
              type: 'string',
              enum: ['sequential', 'shuffle', 'random', 'offline_easy2hard', 'difficulty_based'],
              enumDescriptions: [
                'In file order, wrapping around.',
                'A fresh random permutation each epoch.',
                'Uniformly at random, with replacement.',
                'Sorted once by a feature (`feature_key`), easiest first.',
                'Online pass-rate estimates per task; picks tasks whose predicted pass rate is near `target` (BOTS).',
              ],
              description: 'Selection strategy.',
              default: 'shuffle',
              examples: ['shuffle', 'difficulty_based'],
            },
            feature_key: {
              type: 'string',
              description: 'Task feature that orders tasks (`offline_easy2hard`) or gives the prior pass rate (`difficulty_based`).',
              examples: ['difficulty'],
            },
            target: {
              type: 'number',
              minimum: 0,
              maximum: 1,
              description: '`difficulty_based`: the pass rate to aim for; 0.5 gives the most informative groups.',
              default: 0.5,
              examples: [0.5],
            },
            temperature: {
              type: 'number',
              exclusiveMinimum: 0,
              description: '`difficulty_based`: how sharply selection favours tasks near the target.',
              default: 0.1,
              examples: [0.1],
            },
            prior_strength: {
              type: 'number',
              minimum: 0,
              description: '`difficulty_based`: pseudo-observations given to the prior from features.',
              default: 2,
              examples: [2],
            },
            forgetting: {
              type: 'number',
              minimum: 0,
              maximum: 1,
              description:
                '`difficulty_based`: forgetting factor λ of BOTS (arXiv 2510.26374). Each step every posterior moves this share of the way back to its prior, so pass-rate estimates follow the policy as it improves; 0 keeps all evidence forever. 0.2 is the default of the BOTS release.',
              default: 0.2,
              examples: [0.2, 0],
            },
            implicit_evidence: {
              type: 'number',
              minimum: 0,
              maximum: 1,
              description:
                '`difficulty_based`: weight ρ of implicit evidence (BOTS). Tasks not rolled out in a step get pseudo-counts at their estimated pass rate shifted by how far this step\'s tasks beat or missed their estimates, the tasks of like difficulty (close prior pass rates) weighing most; a rolled-out task\'s own outcomes count in full. 0 uses direct evidence only. 0.2 is the default of the BOTS release.',
              default: 0.2,
              examples: [0.2, 0],
            },
          },
        },
      },
    },
    workflow: {
      type: 'object',
      description: 'The agent: a built-in workflow or an export of your own module.',
      additionalProperties: false,
      default: {},
      properties: {
        ref: refWithDefault(
          'A workflow made with `defineWorkflow`: `./file.ts#export`, relative to this config, or `builtin:react`.',
          ['builtin:react', './workflow.ts#workflow'],
          'builtin:react',
        ),
        system_prompt: {
          type: 'string',
          description: 'System prompt given to the workflow; built-in workflows have their own when absent.',
          examples: ['You are a careful math assistant. Use the calculator for arithmetic.'],
        },
        options: {
          type: 'object',
          description: 'Free-form options passed to the workflow as `ctx.options`.',
          default: {},
          examples: [{ roles: ['tool_agent', 'reasoner'] }],
        },
        isolation: isolation('workflow'),
      },
    },
    tools: {
      type: 'array',
      description: 'Tools the agent may call. Their JSON schemas are given to the chat template.',
      default: [],
      examples: [[{ ref: 'builtin:calculator' }]],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['ref'],
        properties: {
          ref: ref('A built-in tool (`builtin:calculator`, `builtin:python`) or a `defineTool` export: `./tools.ts#lookup`.', [
            'builtin:calculator',
            'builtin:python',
            './tools.ts#lookup',
          ]),
          timeout_s: seconds('Wall-clock limit of one call, in seconds.', 10),
          options: {
            type: 'object',
            description: 'Tool options, for example memory and output limits of `builtin:python`.',
            default: {},
            examples: [{ memory_mb: 512, max_output_chars: 4000 }],
          },
        },
      },
    },
    judge: {
      type: 'object',
      description: 'Scores a finished rollout.',
      additionalProperties: false,
      default: {},
      properties: {
        ref: refWithDefault(
          'A built-in judge (`builtin:math`, `builtin:gsm8k`, `builtin:exact_match`, `builtin:llm_judge`) or a `defineJudge` export.',
          ['builtin:math', './judge.ts#judge'],
          'builtin:math',
        ),
        timeout_s: seconds('Wall-clock limit for judging one rollout, in seconds.', 30),
        isolation: isolation('judge'),
        error_reward: {
          type: 'number',
          description: 'Reward given when the judge throws or times out.',
          default: 0,
          examples: [0, -1],
        },
        options: {
          type: 'object',
          description:
            'Judge options. `builtin:math` (docs/judges.md): `tolerance` (relative, default 1e-6), `round_match` (default false), `budget_s` (seconds per verdict, default 2), `undecided_reward` (default 0). The grader of `builtin:llm_judge`: `mode` (`llm`, `math_then_llm`, `math_or_llm`), `backend` (`openai`, `onnx`), `model`, `base_url`, `api_key_env`, `rubric` (with {question}, {reference}, {answer}).',
          default: {},
          examples: [{ tolerance: 1e-6 }, { mode: 'math_then_llm', backend: 'openai', base_url: 'http://127.0.0.1:8000/v1', model: 'tiny-math' }],
        },
      },
    },
    reward: {
      type: 'object',
      description: 'How the judge\'s parts combine into the scalar reward.',
      additionalProperties: false,
      default: {},
      properties: {
        answer: { type: 'number', description: 'Weight of the answer verdict (1 correct, 0 wrong).', default: 1, examples: [1] },
        format: { type: 'number', description: 'Weight of the format part: −1 for each turn with a malformed tool call.', default: 0, examples: [0, 0.1] },
        tool_error: { type: 'number', description: 'Weight of the tool-error part: −1 for each failed tool call.', default: 0, examples: [0, 0.05] },
        truncation: { type: 'number', description: 'Weight of the truncation part: −1 when a turn hit `max_new_tokens`.', default: 0, examples: [0, 0.1] },
        partial_credit: {
          type: 'number',
          description: 'Weight of partial credit for tool results that equal the reference answer when the final answer is wrong.',
          default: 0,
          examples: [0, 0.2],
        },
      },
    },
    rollout: {
      type: 'object',
      description: 'How rollouts are generated.',
      additionalProperties: false,
      default: {},
      properties: {
        group_size: {
          type: 'integer',
          minimum: 1,
          description: 'Samples per task; advantages are normalised within each group. GRPO needs at least 2.',
          default: 8,
          examples: [8, 16],
        },
        parallel: {
          type: 'integer',
          minimum: 1,
          description: 'Rollouts in flight at once; the model engine batches their turns.',
          default: 16,
          examples: [16, 64],
        },
        max_turns: {
          type: 'integer',
          minimum: 1,
          description: 'Most assistant turns in one rollout.',
          default: 4,
          examples: [4, 8],
        },
        turn_timeout_s: seconds('Wall-clock limit of one model turn, in seconds.', 60),
        rollout_timeout_s: seconds('Wall-clock limit of a whole rollout, tools and judge excluded, in seconds.', 300),
        user_data_max_kb: {
          type: 'integer',
          minimum: 1,
          description: "Most JSON, in KB, that a judge's `details` and a workflow's `ctx.emit` events may add to one rollout's records; more is cut off with a `$truncated` marker.",
          default: 256,
          examples: [256, 4096],
        },
        thinking: {
          type: 'string',
          enum: ['keep', 'drop'],
          enumDescriptions: [
            'Earlier turns go to the chat template with their thinking, and the template keeps or drops it by its own rule (Qwen3 keeps it after the latest user message, drops it before).',
            'Thinking blocks are removed from earlier turns before the template renders the prompt.',
          ],
          description:
            'Whether a turn\'s `<think>…</think>` block is carried into the next turn\'s prompt. It is always kept in the transcript, and a tool call written inside it is not a call.',
          default: 'keep',
        },
        format_error_message: {
          type: 'string',
          description: 'Tool message sent back to the model after a malformed tool call; `{error}` is replaced by the parser\'s message.',
          default: 'Error: could not parse the tool call: {error}. Write <tool_call>{"name": ..., "arguments": {...}}</tool_call>.',
          examples: ['Error: {error}'],
        },
      },
    },
    algorithm: {
      type: 'object',
      description: 'The policy-gradient algorithm and its hyperparameters.',
      additionalProperties: false,
      default: {},
      properties: {
        type: {
          type: 'string',
          enum: ['grpo', 'rloo'],
          enumDescriptions: [
            'Group Relative Policy Optimisation: advantage = (r − group mean) / group std.',
            'REINFORCE leave-one-out: advantage = r − mean of the other samples of the group.',
          ],
          description: 'How advantages are computed from the rewards of a group.',
          default: 'grpo',
          examples: ['grpo'],
        },
        lr: {
          type: 'number',
          exclusiveMinimum: 0,
          description: 'Adam learning rate of the LoRA adapter.',
          default: 0.001,
          examples: [0.001, 0.0002],
        },
        lora: {
          type: 'object',
          description: 'The LoRA adapter on the LM head: logits += (alpha / rank) · B · A · h.',
          additionalProperties: false,
          default: {},
          properties: {
            rank: { type: 'integer', minimum: 1, description: 'Rank r of the adapter.', default: 8, examples: [8, 16] },
            alpha: { type: 'number', exclusiveMinimum: 0, description: 'Scale alpha; the update is scaled by alpha / rank.', default: 16, examples: [16, 32] },
          },
        },
        clip: {
          type: 'number',
          exclusiveMinimum: 0,
          description: 'PPO clip range ε: the ratio is clipped to [1 − ε, 1 + ε].',
          default: 0.2,
          examples: [0.2],
        },
        kl_coef: { type: 'number', minimum: 0, description: 'Weight of the KL penalty to the base model (k3 estimator); 0 turns it off.', default: 0, examples: [0, 0.01] },
        entropy_coef: { type: 'number', minimum: 0, description: 'Weight of the entropy bonus; 0 turns it off.', default: 0, examples: [0, 0.001] },
        scale_by_std: {
          type: 'boolean',
          description: 'GRPO: divide advantages by the group\'s standard deviation (Dr. GRPO sets this false).',
          default: true,
          examples: [true],
        },
        drop_zero_variance: {
          type: 'boolean',
          description: 'Leave out groups whose rewards are all equal: they carry no learning signal.',
          default: true,
          examples: [true],
        },
        group_by_role: {
          type: 'boolean',
          description: 'Multi-agent workflows: normalise advantages within each role of a group.',
          default: false,
          examples: [true],
        },
        epochs: { type: 'integer', minimum: 1, description: 'Passes over each step\'s rollouts.', default: 1, examples: [1, 2] },
        minibatch: { type: 'integer', minimum: 1, description: 'Rollouts per optimiser step.', default: 32, examples: [32] },
        max_grad_norm: { type: 'number', exclusiveMinimum: 0, description: 'Gradients are clipped to this global norm.', default: 1, examples: [1] },
        loss_agg: {
          type: 'string',
          enum: ['token_mean', 'seq_mean_token_sum', 'dr_grpo'],
          enumDescriptions: [
            'Mean over every trained token of the minibatch: long answers weigh more than short ones (DAPO, TRL and verl default).',
            'Sum over each turn\'s tokens, mean over the turns of the minibatch.',
            'Sum over tokens divided by a constant (turns × `model.sampling.max_new_tokens`), so the gradient has no length bias (Dr. GRPO, Liu et al. 2025).',
          ],
          description: 'How per-token losses are aggregated into the minibatch loss.',
          default: 'token_mean',
          examples: ['token_mean', 'dr_grpo'],
        },
        clip_high: {
          type: 'number',
          exclusiveMinimum: 0,
          description: 'Upper clip range: the ratio is clipped to [1 − clip, 1 + clip_high] ("clip higher", DAPO, Yu et al. 2025, uses 0.28 with clip 0.2); `clip` when absent.',
          examples: [0.28],
        },
        lr_schedule: {
          type: 'string',
          enum: ['constant', 'cosine'],
          enumDescriptions: ['The learning rate is `lr` at every step.', 'Linear warm-up from 0 over `warmup_steps`, then cosine decay to 0 at the last step of `train.steps`.'],
          description: 'How the learning rate changes over the training steps.',
          default: 'constant',
          examples: ['constant', 'cosine'],
        },
        warmup_steps: { type: 'integer', minimum: 0, description: 'Training steps of linear learning-rate warm-up (`lr_schedule: cosine`).', default: 0, examples: [0, 5] },
        adv_std: {
          type: 'string',
          enum: ['sample', 'population'],
          enumDescriptions: [
            'The unbiased sample standard deviation (divides by n − 1), as TRL\'s GRPOTrainer and verl compute it.',
            'The population standard deviation (divides by n), as the GRPO formula reads.',
          ],
          description: 'GRPO with `scale_by_std`: which standard deviation of the group\'s rewards divides the advantages; ε = 1e-4 is added to it, so a group whose rewards differ by less than about 1e-4 gets advantages near 0 rather than ±1.',
          default: 'population',
          examples: ['population', 'sample'],
        },
      },
    },
    train: {
      type: 'object',
      description: 'The training schedule.',
      additionalProperties: false,
      default: {},
      properties: {
        steps: { type: 'integer', minimum: 1, description: 'Training steps.', default: 20, examples: [20, 200] },
        tasks_per_step: { type: 'integer', minimum: 1, description: 'Tasks per step; each is rolled out `rollout.group_size` times.', default: 8, examples: [8] },
        eval_every: { type: 'integer', minimum: 0, description: 'Evaluate on the test tasks every N steps; 0 evaluates only at the end.', default: 0, examples: [10] },
        save_every: { type: 'integer', minimum: 0, description: 'Save a checkpoint every N steps; 0 saves only at the end.', default: 10, examples: [10] },
        output_dir: {
          type: 'string',
          description: 'Folder, relative to this config, under which run directories are created.',
          default: 'runs',
          examples: ['runs'],
        },
      },
    },
    eval: {
      type: 'object',
      description: 'Evaluation on the test tasks.',
      additionalProperties: false,
      default: {},
      properties: {
        samples: { type: 'integer', minimum: 1, description: 'Samples n per test task.', default: 4, examples: [4, 16] },
        k: {
          type: 'array',
          items: { type: 'integer', minimum: 1 },
          minItems: 1,
          uniqueItems: true,
          description: 'Values of k for pass@k and maj@k; each must be at most `samples`.',
          default: [1, 4],
          examples: [[1, 4]],
        },
        temperature: { type: 'number', minimum: 0, description: 'Sampling temperature for evaluation; the rollout temperature when absent.', examples: [1, 0] },
        greedy: { type: 'boolean', description: 'Also decode each test task greedily and report greedy pass@1.', default: true, examples: [true] },
      },
    },
  },
} as const;
