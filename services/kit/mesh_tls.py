"""Optional mutual TLS between mesh processes: one certificate and key per process, one CA for the mesh."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc


@dataclass(frozen=True, repr=False)
class MeshTls:
    """A process's own certificate chain and key (PEM), and the CA that signs every certificate in the mesh."""

    cert: bytes
    key: bytes
    ca: bytes

    @classmethod
    def from_files(cls, *, cert_file: str, key_file: str, ca_file: str) -> MeshTls | None:
        """The three files read, or None when none is named; naming only some of them is an error."""
        named = [bool(cert_file), bool(key_file), bool(ca_file)]
        if not any(named):
            return None
        if not all(named):
            raise ValueError("MESH_GRPC_TLS_CERT_FILE, MESH_GRPC_TLS_KEY_FILE and MESH_GRPC_TLS_CA_FILE go together")
        return cls(cert=Path(cert_file).read_bytes(), key=Path(key_file).read_bytes(), ca=Path(ca_file).read_bytes())

    def server_credentials(self) -> grpc.ServerCredentials:
        """Serve with this certificate; a client must present one the mesh CA signed."""
        return grpc.ssl_server_credentials([(self.key, self.cert)], root_certificates=self.ca, require_client_auth=True)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """Trust only servers the mesh CA signed, and present this certificate to them."""
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca, private_key=self.key, certificate_chain=self.cert
        )
