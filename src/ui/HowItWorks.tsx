// The "how it works" strip on the main page (issue #12 §3): what an SAE computes, in three formulas rendered by
// KaTeX — encode, keep the K largest, decode — and the loss, each with a line of words and a tooltip that also
// works on touch. Visible on both views (training and lab). Imports React and the lab's Tex/Tip.

import { Tex } from './lab/Tex.tsx';
import { Tip } from './lab/Tip.tsx';

const STEPS = [
  {
    name: 'encode',
    tex: String.raw`z = W_{\mathrm{enc}}(x - b_{\mathrm{dec}}) + b_{\mathrm{enc}}`,
    words: 'score every latent',
    tip: 'Each latent i has an encoder row w_i; its score (pre-activation) is how much x points along w_i, plus a bias. With d_SAE ≫ d_in there are many more latents than inputs.',
  },
  {
    name: 'sparsify',
    tex: String.raw`f = \mathrm{ReLU}\big(\mathrm{TopK}_K(z)\big)`,
    words: 'keep the K largest',
    tip: 'TopK keeps the K best-scoring latents (ReLU and JumpReLU keep those above a threshold). Which latents survive depends on where x is: the input space splits into cells, one per set of firing latents.',
  },
  {
    name: 'decode',
    tex: String.raw`\hat x = W_{\mathrm{dec}}\, f + b_{\mathrm{dec}}`,
    words: 'add their directions',
    tip: 'Each latent has a decoder direction (a column of W_dec, drawn as an arrow in the lab). The reconstruction is the sum of the firing latents’ directions, weighted by their values.',
  },
  {
    name: 'learn',
    tex: String.raw`\min\ \lVert x - \hat x \rVert^2`,
    words: 'learn to reconstruct',
    tip: 'Training moves encoder and decoder so x̂ is close to x on the data (plus AuxK, which gives dead latents a gradient). Sparsity is built in by TopK: few latents explain each input.',
  },
];

export function HowItWorks() {
  return (
    <section className="how-it-works" aria-label="How an SAE works" data-testid="how-it-works">
      <span className="how-title">How it works</span>
      {STEPS.map((s, i) => (
        <div className="how-step" key={s.name} data-testid={`how-${s.name}`}>
          <span className="how-num">{i + 1}</span>
          <div>
            <Tex tex={s.tex} />
            <Tip label={s.words} testId={`how-tip-${s.name}`}>
              {s.tip}
            </Tip>
          </div>
        </div>
      ))}
    </section>
  );
}
