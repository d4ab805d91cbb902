"""Model adapters hold native resources (MediaPipe graphs, GPU memory) freed by close()."""

from typing import Self


class ClosesOnExit:
    """`with Model() as model:` calls model.close() when the block ends, error or not."""

    def close(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must free its resources in close()")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
