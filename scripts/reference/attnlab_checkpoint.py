"""What the PyTorch cross-checks share: reading an attnlab checkpoint's weights, and loading a
shared TransformerBlock's weights into torch.nn.TransformerEncoderLayer."""
import io

import torch


def load_state(checkpoint):
    """An attnlab checkpoint: a 24-byte header, then a LibTorch archive with a 'model' dict."""
    with open(checkpoint, "rb") as f:
        data = f.read()[24:]
    return dict(torch.jit.load(io.BytesIO(data)).model)


def encoder_layer(m, state, prefix):
    """The block whose tensors are `prefix` + attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj,
    ln_1, ln_2 (biases included), as PyTorch's own layer in eval mode. m: the run's model keys."""
    layer = torch.nn.TransformerEncoderLayer(
        m["n_embd"], m["n_head"], dim_feedforward=m["mlp_ratio"] * m["n_embd"], dropout=0.0,
        activation=m["activation"], batch_first=True, norm_first=m["norm_position"] == "pre", layer_norm_eps=1e-5)
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(state[prefix + "attn.c_attn.weight"])
        layer.self_attn.in_proj_bias.copy_(state[prefix + "attn.c_attn.bias"])
        layer.self_attn.out_proj.weight.copy_(state[prefix + "attn.c_proj.weight"])
        layer.self_attn.out_proj.bias.copy_(state[prefix + "attn.c_proj.bias"])
        layer.linear1.weight.copy_(state[prefix + "mlp.c_fc.weight"])
        layer.linear1.bias.copy_(state[prefix + "mlp.c_fc.bias"])
        layer.linear2.weight.copy_(state[prefix + "mlp.c_proj.weight"])
        layer.linear2.bias.copy_(state[prefix + "mlp.c_proj.bias"])
        for ours, theirs in (("ln_1", layer.norm1), ("ln_2", layer.norm2)):
            theirs.weight.copy_(state[prefix + ours + ".weight"])
            theirs.bias.copy_(state[prefix + ours + ".bias"])
    return layer.eval()
