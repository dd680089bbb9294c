"""Export the transformer of a sentence-transformers model directory to ONNX, beside its weights.

The service embeds one query per request. Loading the model through transformers means importing torch
and transformers' model-loading machinery, about 6 of the service's 9-11 s start-up; onnxruntime and
tokenizers load the same network in under 2 s and run a query in half the time. The graph is written
where sentence-transformers' own ONNX backend looks for it (`onnx/model.onnx`, weights in
`onnx/model.onnx.data`), with batch and sequence length dynamic.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ingest.embedding import INPUTS, ONNX_FILE

log = logging.getLogger(__name__)

OUTPUT = "last_hidden_state"


class OnnxExportError(RuntimeError):
    """The model could not be exported to ONNX."""


def export_onnx(model_dir: Path, model_kwargs: dict | None = None) -> Path:
    """Write `model_dir/onnx/model.onnx` from the transformer weights in `model_dir`; returns its path."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, **(model_kwargs or {})).eval()

    class _TokenVectors(torch.nn.Module):
        """The transformer with the two inputs the embedder feeds and the one output it pools."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # Two rows of different length, so that padding and both dynamic axes are traced.
    input_ids = torch.tensor([[0, 100, 200, 300, 2], [0, 400, 2, 1, 1]])
    attention_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=model.config.max_position_embeddings)
    target = model_dir / ONNX_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.onnx.export(
            _TokenVectors().eval(),
            (input_ids, attention_mask),
            str(target),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_shapes={"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}},
            dynamo=True,
            external_data=True,
            verbose=False,
        )
    except Exception as exc:  # the exporter raises many types; the caller needs one
        raise OnnxExportError(f"cannot export '{model_dir}' to ONNX: {exc}") from exc
    log.info("Exported %s", target)
    return target
