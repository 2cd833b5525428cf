"""Writing a document where the person asked: whole or not at all, and a French word if not.

The document is written beside its destination under a temporary name, then moved onto it: a
full disk, a folder that is not there or not writable, a destination that is a folder, each says
so naming the path, and no partial file is ever left behind.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workflow.errors import InvalidInput


def _refused(output: Path, why: str) -> InvalidInput:
    return InvalidInput(f"impossible d'écrire {output} : {why}", field="--output")


@contextmanager
def written(output: Path) -> Iterator[Path]:
    """A path to write the document to; it becomes ``output`` once the block ends well."""
    if output.exists() and not output.is_file():
        raise _refused(output, "c'est un dossier, pas un fichier")
    folder = output.parent
    if not folder.is_dir():
        raise _refused(output, f"le dossier {folder} n'existe pas")
    partial = folder / f".{output.name}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        partial.open("xb").close()  # the usual permissions, unlike mkstemp's 0600
    except OSError as error:
        raise _refused(output, error.strerror or str(error)) from None
    try:
        yield partial
        os.replace(partial, output)
    except OSError as error:
        raise _refused(output, error.strerror or str(error)) from None
    finally:
        partial.unlink(missing_ok=True)
