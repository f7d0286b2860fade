#!/bin/sh
# Regenerates the LibreOffice-written fixtures from harbour-report.fodt (CI has no LibreOffice: commit the output).
# Needs soffice (apt-get install --no-install-recommends libreoffice-writer-nogui) and a CJK font (fonts-noto-cjk).
set -eu
cd "$(dirname "$0")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
convert() {
    soffice -env:UserInstallation="file://$profile" --headless --convert-to "$1" --outdir . harbour-report.fodt
}
convert 'docx:MS Word 2007 XML'
convert 'pdf:writer_pdf_Export'
mv harbour-report.docx libreoffice-harbour-report.docx
mv harbour-report.pdf libreoffice-harbour-report.pdf
