"""A wheel archive read for the links rules (PEP 778): the one place that turns an open
wheel into the inputs of :func:`wheelnext_pip.symlinks.read_links`, for the installer and
for ``relink`` alike."""

from __future__ import annotations

import zipfile

from wheelnext_pip.symlinks import LinkPlan, is_zip_symlink, link_inputs, read_links


def plan_of_archive(archive: zipfile.ZipFile, wheel: str) -> LinkPlan:
    """Validate the wheel's LINKS and zip link members; raise LinkError if any is bad."""
    names = archive.namelist()
    return read_links(
        wheel=wheel,
        members=names,
        contents={name: archive.read(name) for name in link_inputs(names)},
        zip_links={
            info.filename: archive.read(info)
            for info in archive.infolist()
            if is_zip_symlink(info.external_attr)
        },
    )
