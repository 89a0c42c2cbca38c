from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.inference.gguf import DTYPES, Dtype, GgufError, import_gguf, packaged_gguf


class Command(BaseCommand):
    help = "Turn a llama-architecture GGUF file into an mlx-lm model directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", help="a .gguf file, or an installed Python package that ships one"
        )
        parser.add_argument("dest", type=Path, help="the model directory to write")
        parser.add_argument(
            "--dtype", choices=DTYPES, default="float32",
            help="q4 keeps the file's quantized weights (fast on Metal); float16 and float32 "
            "dequantize them (fast on CPUs). Default: float32",
        )  # fmt: skip

    def handle(self, *args: Any, path: str, dest: Path, dtype: Dtype, **options: Any) -> None:
        try:
            source = Path(path) if path.endswith(".gguf") else packaged_gguf(path)
            imported = import_gguf(source, dest, dtype)
        except GgufError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"import_gguf: {source.name} -> {imported.dest} ({imported.dtype}, "
            f"{imported.tensors} tensors, {imported.parameters / 1e6:.1f}M parameters)"
        )
