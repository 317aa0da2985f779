"""hubload's Prefect flows (load, reprocess, nightly); importing them quiets hubload's own
errors in the run logs (see ``flows.quiet``)."""

from flows import quiet

quiet.install()
