// The conversation templates of the InternVL family (upstream conversation.py, all MPT style), picked by
// config.json's `template`: the system template and default system message, the roles, and the separator, whose
// stripped form is the stop token (upstream chat(): `tokenizer.convert_tokens_to_ids(template.sep.strip())`).

export interface ChatTemplate {
  readonly name: string;
  /** Text before the system message (upstream system_template up to `{system_message}`). */
  readonly systemPrefix: string;
  readonly systemMessage: string;
  readonly roles: readonly [user: string, assistant: string];
  readonly sep: string;
}

/** The InternVL2 default system message (Hermes-2, internlm2-chat, phi3-chat), verbatim. */
const INTERNVL2_SYSTEM = '你是由上海人工智能实验室联合商汤科技开发的书生多模态大模型，英文名叫InternVL, 是一个有用无害的人工智能助手。';
const CHATML_ROLES = ['<|im_start|>user\n', '<|im_start|>assistant\n'] as const;

export const TEMPLATES: Readonly<Record<string, ChatTemplate>> = {
  'Hermes-2': { name: 'Hermes-2', systemPrefix: '<|im_start|>system\n', systemMessage: INTERNVL2_SYSTEM, roles: CHATML_ROLES, sep: '<|im_end|>' },
  'internlm2-chat': { name: 'internlm2-chat', systemPrefix: '<|im_start|>system\n', systemMessage: INTERNVL2_SYSTEM, roles: CHATML_ROLES, sep: '<|im_end|>' },
  'phi3-chat': { name: 'phi3-chat', systemPrefix: '<|system|>\n', systemMessage: INTERNVL2_SYSTEM, roles: ['<|user|>\n', '<|assistant|>\n'], sep: '<|end|>' },
  internvl2_5: {
    name: 'internvl2_5',
    systemPrefix: '<|im_start|>system\n',
    systemMessage: '你是书生·万象，英文名是InternVL，是由上海人工智能实验室、清华大学及多家合作单位联合开发的多模态大语言模型。',
    roles: CHATML_ROLES,
    sep: '<|im_end|>\n', // with the newline, unlike Hermes-2
  },
};

/** The template config.json names; an unknown one is an error listing those supported. */
export function conversationTemplate(name: string): ChatTemplate {
  const t = TEMPLATES[name];
  if (!t) throw new Error(`config.json: template ${JSON.stringify(name)} is not supported (supported: ${Object.keys(TEMPLATES).join(', ')})`);
  return t;
}

/** The token that ends an answer: the separator without surrounding whitespace. */
export function stopToken(t: ChatTemplate): string {
  return t.sep.trim();
}
