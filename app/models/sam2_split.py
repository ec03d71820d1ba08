"""SAM 2's mask decoder split into a per-image half and a per-click half (torch modules, built lazily).

In the two-way transformer's first block the image tokens have not yet seen any prompt, so three of
its four 4096-token projections (the token->image keys and values and the image->token queries), the
dense "no mask" embedding and the positional encoding depend only on the image. :class:`ImageSide`
computes them once per image (stored with the embedding); :class:`PromptSide` runs the rest for each
click. The mask upscaling runs channels-last: each 2x2/stride-2 transposed convolution is one matrix
product plus a pixel shuffle, its channel LayerNorm a fused layer norm, and the high-resolution
features are stored channels-last per image. The maths is that of
``sam2.modeling.sam.mask_decoder.MaskDecoder`` with single-mask output
(including its fall-back to the most confident multi-mask candidate when the single mask is unstable),
using the model's own layers and weights; the unit tests compare the result with Meta's predictor.
"""

from __future__ import annotations

from typing import Any

EXTRA_NAMES = ("keys0", "k0", "v0", "qimg0", "s0", "s1")


def build(model: Any) -> tuple[Any, Any]:
    """(ImageSide, PromptSide) torch modules for a SAM2Base ``model`` (eval mode)."""
    import torch
    import torch.nn.functional as F  # noqa: N812 - conventional name

    decoder = model.sam_mask_decoder
    prompt_encoder = model.sam_prompt_encoder
    transformer = decoder.transformer
    first = transformer.layers[0]
    dc1, ln1, act1, dc2, act2 = decoder.output_upscaling if decoder.use_high_res_features else [None] * 5
    if not (decoder.use_high_res_features and first.skip_first_layer_pe and _is_pixel_deconv(dc1)
            and _is_pixel_deconv(dc2)):
        raise ValueError("this SAM 2 variant has another decoder layout; use the plain decoder")
    heads = first.cross_attn_token_to_image.num_heads

    def split_heads(x):  # (B, T, C) -> (B, heads, T, C / heads)
        b, t, c = x.shape
        return x.reshape(b, t, heads, c // heads).transpose(1, 2)

    def attend(layer, q, k, v):  # q, k, v already projected and split into heads
        out = F.scaled_dot_product_attention(q, k, v)
        b, n, t, c = out.shape
        return layer.out_proj(out.transpose(1, 2).reshape(b, t, n * c))

    def deconv_weight(conv):  # (cin, cout, 2, 2) -> (cin, 2 * 2 * cout) ordered (di, dj, co)
        cin, cout = conv.weight.shape[:2]
        return conv.weight.detach().permute(0, 2, 3, 1).reshape(cin, 4 * cout).contiguous()

    def deconv(x, weight, bias, h: int, w: int):  # channels-last (h, w, cin) -> (2h, 2w, cout)
        cin, cout = int(weight.shape[0]), int(bias.shape[0])  # static sizes keep the ONNX graph simple
        y = (x.reshape(h * w, cin) @ weight).reshape(h, w, 2, 2, cout)
        return y.permute(0, 2, 1, 3, 4).reshape(2 * h, 2 * w, cout) + bias

    class ImageSide(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = first
            self.no_mask = prompt_encoder.no_mask_embed
            self.register_buffer("kpe", prompt_encoder.get_dense_pe().flatten(2).transpose(1, 2).contiguous())

        def forward(self, embed, feat_s0, feat_s1):
            keys0 = (embed + self.no_mask.weight.reshape(1, -1, 1, 1)).flatten(2).transpose(1, 2)
            with_pe = keys0 + self.kpe
            k0 = split_heads(self.first.cross_attn_token_to_image.k_proj(with_pe))
            v0 = split_heads(self.first.cross_attn_token_to_image.v_proj(keys0))
            qimg0 = split_heads(self.first.cross_attn_image_to_token.q_proj(with_pe))
            s0, s1 = (f[0].permute(1, 2, 0).contiguous() for f in (feat_s0, feat_s1))  # channels-last
            return keys0.contiguous(), k0.contiguous(), v0.contiguous(), qimg0.contiguous(), s0, s1

    class PromptSide(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.prompt_encoder = prompt_encoder
            self.decoder = decoder
            self.register_buffer("kpe", prompt_encoder.get_dense_pe().flatten(2).transpose(1, 2).contiguous())
            self.grid = tuple(prompt_encoder.image_embedding_size)
            self.register_buffer("w1", deconv_weight(dc1))
            self.register_buffer("w2", deconv_weight(dc2))

        def _tokens(self, coords, labels):
            sparse, _ = self.prompt_encoder(points=(coords, labels), boxes=None, masks=None)
            d = self.decoder
            parts = [d.iou_token.weight, d.mask_tokens.weight]
            if d.pred_obj_scores:
                parts.insert(0, d.obj_score_token.weight)
            return torch.cat([torch.cat(parts, dim=0).unsqueeze(0), sparse], dim=1)

        def _first_block(self, tokens, keys0, k0, v0, qimg0):
            queries = first.norm1(first.self_attn(q=tokens, k=tokens, v=tokens))
            t2i = first.cross_attn_token_to_image
            queries = first.norm2(queries + attend(t2i, split_heads(t2i.q_proj(queries + tokens)), k0, v0))
            queries = first.norm3(queries + first.mlp(queries))
            i2t = first.cross_attn_image_to_token
            kq = split_heads(i2t.k_proj(queries + tokens))
            vq = split_heads(i2t.v_proj(queries))
            keys = first.norm4(keys0 + attend(i2t, qimg0, kq, vq))
            return queries, keys

        def forward(self, keys0, k0, v0, qimg0, s0, s1, coords, labels):
            d = self.decoder
            tokens = self._tokens(coords, labels)
            queries, keys = self._first_block(tokens, keys0, k0, v0, qimg0)
            for layer in transformer.layers[1:]:
                queries, keys = layer(queries=queries, keys=keys, query_pe=tokens, key_pe=self.kpe)
            final = transformer.final_attn_token_to_image(q=queries + tokens, k=keys + self.kpe, v=keys)
            hs = transformer.norm_final_attn(queries + final)
            s = 1 if d.pred_obj_scores else 0
            h, w = self.grid
            src = keys[0].reshape(h, w, -1)
            up = deconv(src, self.w1, dc1.bias, h, w) + s1
            up = act1(F.layer_norm(up, (int(ln1.weight.shape[0]),), ln1.weight, ln1.bias, ln1.eps))
            up = act2(deconv(up, self.w2, dc2.bias, 2 * h, 2 * w) + s0)
            hyper = torch.stack([mlp(hs[0, s + 1 + i, :]) for i, mlp in enumerate(d.output_hypernetworks_mlps)])
            channels = int(dc2.bias.shape[0])
            masks = (up.reshape(16 * h * w, channels) @ hyper.t()).t().reshape(1, -1, 4 * h, 4 * w)
            scores = d.iou_prediction_head(hs[:, s, :])
            if d.dynamic_multimask_via_stability:
                return d._dynamic_multimask_via_stability(masks, scores)
            return masks[:, :1], scores[:, :1]

    return ImageSide().eval(), PromptSide().eval()


def _is_pixel_deconv(conv: Any) -> bool:
    """A 2x2 transposed convolution with stride 2 and no padding (each input pixel -> its own 2x2)."""
    return (type(conv).__name__ == "ConvTranspose2d" and tuple(conv.kernel_size) == (2, 2)
            and tuple(conv.stride) == (2, 2) and tuple(conv.padding) == (0, 0) and conv.groups == 1
            and tuple(conv.dilation) == (1, 1) and tuple(conv.output_padding) == (0, 0) and conv.bias is not None)
