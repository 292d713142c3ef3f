import { it } from '@jest/globals';
import { join } from 'node:path';
import { writeRandomLlamaModel } from '../../src/gguf/randomModel.js';
import { importNodeLlamaCpp, locateNodeLlamaCpp } from '../../src/inference/nodeLlamaCppRuntime.js';
it('dbg', async () => {
  const rt = await importNodeLlamaCpp(locateNodeLlamaCpp([process.cwd()])!);
  const p = join('/tmp/dbg', 'r.gguf');
  await writeRandomLlamaModel(p, { nEmbd: 256, nLayer: 2, nFf: 512, nHead: 4, nHeadKv: 4, nVocab: 512, type: 'f16', seed: 7 });
  const llama = await rt.getLlama({ gpu: false, build: 'never', logLevel: rt.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: p });
  const ctx = await model.createContext({ sequences: 2, contextSize: 512, threads: 1 });
  console.log(Object.keys(model.fileInfo.metadata.tokenizer.chat_template ? {t:1}:{}), String(model.fileInfo.metadata.tokenizer.chat_template).slice(0, 300));
  const s = ctx.getSequence();
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const sess = new rt.LlamaChatSession({ contextSequence: s, autoDisposeSequence: false });
    const t1 = performance.now();
    console.log('ctor ms', t1 - t0, sess.chatWrapper.wrapperName);
    sess.dispose({ disposeSequence: false });
  }
  const t2 = performance.now();
  const w = rt.resolveChatWrapper(model); console.log('resolve ms', performance.now() - t2, w?.wrapperName);
  await ctx.dispose(); await model.dispose(); await llama.dispose();
});
