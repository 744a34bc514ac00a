namespace M2MSec.Storage.Schema;

/// <summary>
/// The versioned schema shared by the SQL backends. Migrations are applied in order at start-up
/// inside one transaction each; a database written by an older build upgrades in place, one
/// written by a newer build is refused. Later features append migrations here — never edit one
/// that has shipped. Types come from the dialect: {blob}, {bigint}, {serial}.
/// </summary>
internal static class StoreSchema
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "core: key probe, subscribers, OTA key sets, nonces, devices, audit, certificates",
        [
            "CREATE TABLE kek_probe (id INTEGER PRIMARY KEY, probe {blob} NOT NULL)",
            """
            CREATE TABLE subscribers (
                identity TEXT PRIMARY KEY, kind TEXT NOT NULL, algorithm TEXT NOT NULL,
                k_enc {blob} NOT NULL, opc_enc {blob} NOT NULL, amf {blob} NOT NULL,
                seq_he {bigint} NOT NULL, ind_he INTEGER NOT NULL, created_at {bigint} NOT NULL)
            """,
            """
            CREATE TABLE ota_keysets (
                iccid TEXT NOT NULL, kvn INTEGER NOT NULL,
                kic_alg INTEGER NOT NULL, kic_enc {blob} NOT NULL, kid_alg INTEGER NOT NULL, kid_enc {blob} NOT NULL,
                counter {bigint} NOT NULL, PRIMARY KEY (iccid, kvn))
            """,
            """
            CREATE TABLE nonces (
                purpose TEXT NOT NULL, nonce {blob} NOT NULL, expires_at {bigint} NOT NULL, consumed_at {bigint},
                PRIMARY KEY (purpose, nonce))
            """,
            """
            CREATE TABLE devices (
                device_id TEXT PRIMARY KEY, pcid TEXT, tre_id TEXT, kind TEXT NOT NULL,
                state TEXT NOT NULL, updated_at {bigint} NOT NULL)
            """,
            """
            CREATE TABLE device_transitions (
                seq {serial}, device_id TEXT NOT NULL REFERENCES devices(device_id),
                from_state TEXT, to_state TEXT NOT NULL, at {bigint} NOT NULL, reason TEXT)
            """,
            """
            CREATE TABLE audit_log (
                seq {serial}, at {bigint} NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                subject TEXT NOT NULL, detail TEXT)
            """,
            "{append_only:audit_log}",
            """
            CREATE TABLE certificates (
                issuer TEXT NOT NULL, serial TEXT NOT NULL, subject TEXT NOT NULL,
                not_before {bigint} NOT NULL, not_after {bigint} NOT NULL, der {blob} NOT NULL,
                revoked_at {bigint}, reason INTEGER, PRIMARY KEY (issuer, serial))
            """,
        ]),
        new(2, "indexes: device states, transition history, nonce expiry",
        [
            "CREATE INDEX ix_devices_state ON devices (state)",
            "CREATE INDEX ix_device_transitions_device ON device_transitions (device_id, seq)",
            "CREATE INDEX ix_nonces_expiry ON nonces (expires_at)",
        ]),
        new(3, "OTA key sets name the TAR they serve",
        [
            "ALTER TABLE ota_keysets ADD COLUMN tar TEXT",
        ]),
        new(4, "SCP81 pre-shared keys by PSK identity",
        [
            "CREATE TABLE scp81_psk (identity TEXT PRIMARY KEY, iccid TEXT NOT NULL, psk_enc {blob} NOT NULL)",
        ]),
        new(5, "OTA jobs and their outcomes per card",
        [
            """
            CREATE TABLE ota_jobs (
                id TEXT PRIMARY KEY, iccid TEXT NOT NULL, tar TEXT NOT NULL, kvn INTEGER NOT NULL,
                spi {blob} NOT NULL, kic INTEGER NOT NULL, kid INTEGER NOT NULL, counter {bigint} NOT NULL,
                state TEXT NOT NULL, por_status TEXT, data TEXT, failure TEXT, expected_read_back {blob},
                transport TEXT NOT NULL, psk_identity TEXT,
                created_at {bigint} NOT NULL, updated_at {bigint} NOT NULL)
            """,
            "CREATE INDEX ix_ota_jobs_card ON ota_jobs (iccid, state)",
        ]),
        new(6, "PKI hierarchies and their CA keys (wrapped under the key ring)",
        [
            """
            CREATE TABLE pki_hierarchies (
                name TEXT PRIMARY KEY, key_algorithm TEXT NOT NULL, ocsp_url TEXT, crl_number {bigint} NOT NULL,
                created_at {bigint} NOT NULL)
            """,
            """
            CREATE TABLE pki_keys (
                hierarchy TEXT NOT NULL, slot TEXT NOT NULL, cert {blob} NOT NULL, key_enc {blob} NOT NULL,
                updated_at {bigint} NOT NULL, PRIMARY KEY (hierarchy, slot))
            """,
        ]),
        new(7, "OMA DM accounts (passwords wrapped) and jobs with their commands",
        [
            """
            CREATE TABLE dm_accounts (
                dev_id TEXT PRIMARY KEY, server_id TEXT NOT NULL, client_user TEXT NOT NULL,
                client_password_enc {blob} NOT NULL, server_password_enc {blob} NOT NULL,
                client_auth TEXT NOT NULL, server_auth TEXT NOT NULL, created_at {bigint} NOT NULL)
            """,
            "CREATE TABLE dm_jobs (id TEXT PRIMARY KEY, dev_id TEXT NOT NULL, state TEXT NOT NULL, created_at {bigint} NOT NULL, updated_at {bigint} NOT NULL)",
            "CREATE INDEX ix_dm_jobs_device ON dm_jobs (dev_id, created_at)",
            """
            CREATE TABLE dm_job_commands (
                job_id TEXT NOT NULL, seq INTEGER NOT NULL, verb TEXT NOT NULL, uri TEXT NOT NULL, value TEXT,
                status INTEGER, results TEXT, PRIMARY KEY (job_id, seq))
            """,
        ]),
        new(8, "OMA DM: the nonce each device gave the server last (its next Cred, auth-MAC and notification digest)",
        [
            "ALTER TABLE dm_accounts ADD COLUMN server_nonce TEXT",
        ]),
        new(9, "OMA DM session security: each account's one pending challenge nonce, why a job failed, which commands went out",
        [
            "ALTER TABLE dm_accounts ADD COLUMN client_nonce TEXT",
            "ALTER TABLE dm_accounts ADD COLUMN client_nonce_expires_at {bigint}",
            "ALTER TABLE dm_jobs ADD COLUMN reason TEXT",
            "ALTER TABLE dm_job_commands ADD COLUMN sent_at {bigint}",
            "CREATE INDEX ix_dm_jobs_state ON dm_jobs (state, updated_at)",
        ]),
        new(10, "OMA DM: what authenticated devices report (DevInfo leaves, Generic Alerts) and their last session",
        [
            "CREATE TABLE dm_device_info (dev_id TEXT NOT NULL, uri TEXT NOT NULL, value TEXT NOT NULL, updated_at {bigint} NOT NULL, PRIMARY KEY (dev_id, uri))",
            """
            CREATE TABLE dm_generic_alerts (
                seq {serial}, dev_id TEXT NOT NULL, received_at {bigint} NOT NULL, correlator TEXT, source TEXT,
                type TEXT, format TEXT, mark TEXT, data TEXT)
            """,
            "CREATE INDEX ix_dm_generic_alerts_device ON dm_generic_alerts (dev_id, seq)",
            "CREATE TABLE dm_last_sessions (dev_id TEXT PRIMARY KEY, at {bigint} NOT NULL, outcome TEXT NOT NULL)",
        ]),
        new(11, "OTA jobs keep their script (wrapped) while submitting, for reconciliation after a crash",
        [
            "ALTER TABLE ota_jobs ADD COLUMN script_enc {blob}",
            "CREATE INDEX ix_ota_jobs_state ON ota_jobs (state, updated_at)",
        ]),
        new(12, "issue 15: the CCIF's devices (temporary credential wrapped, PfC) and the PVA's references and validations",
        [
            """
            CREATE TABLE ccif_devices (
                pcid TEXT PRIMARY KEY, tre_id TEXT NOT NULL UNIQUE, platform_key TEXT NOT NULL, k_enc {blob} NOT NULL, opc_enc {blob} NOT NULL,
                attestation_serial TEXT NOT NULL, encryption_serial TEXT NOT NULL, attestation_cert {blob} NOT NULL, encryption_cert {blob} NOT NULL,
                auth_token_hash {blob}, created_at {bigint} NOT NULL, revoked_at {bigint}, revocation_reason TEXT)
            """,
            """
            CREATE TABLE pva_references (
                pcid TEXT PRIMARY KEY, tre_id TEXT NOT NULL, measurements TEXT NOT NULL, pfc_fingerprint TEXT NOT NULL, manufacturer_root {blob} NOT NULL,
                manufacturer_issuing {blob} NOT NULL, registered_at {bigint} NOT NULL)
            """,
            """
            CREATE TABLE pva_validations (
                id TEXT PRIMARY KEY, pcid TEXT NOT NULL, pfc_attestation {blob} NOT NULL, pfc_encryption {blob} NOT NULL, sho_nonce {blob} NOT NULL,
                challenge {blob} NOT NULL, requested_by TEXT NOT NULL, created_at {bigint} NOT NULL, expires_at {bigint} NOT NULL, state TEXT NOT NULL,
                reason TEXT, verdict TEXT, completed_at {bigint})
            """,
            "CREATE INDEX ix_pva_validations_pcid ON pva_validations (pcid, created_at)",
        ]),
        new(13, "Registration Operator (issue 15): the ICF's pending K_RO per RAND (wrapped) and used PCIDs; the DRF's assignments, bootstrap requests (K_RO wrapped), registrations",
        [
            "CREATE TABLE icf_pending_keys (pcid TEXT NOT NULL, rand TEXT NOT NULL, k_ro_enc {blob} NOT NULL, expires_at {bigint} NOT NULL, PRIMARY KEY (pcid, rand))",
            "CREATE TABLE icf_pcid_uses (pcid TEXT PRIMARY KEY, state TEXT NOT NULL, ip_address TEXT NOT NULL, at {bigint} NOT NULL)",
            "CREATE TABLE drf_assignments (pcid TEXT PRIMARY KEY, sho_id TEXT NOT NULL, updated_at {bigint} NOT NULL)",
            "CREATE TABLE drf_bootstrap_requests (pcid TEXT PRIMARY KEY, ip_address TEXT NOT NULL, k_ro_enc {blob} NOT NULL, expires_at {bigint} NOT NULL)",
            """
            CREATE TABLE drf_registrations (
                pcid TEXT PRIMARY KEY, sho_id TEXT NOT NULL, dm_url TEXT NOT NULL, dev_id TEXT NOT NULL, state TEXT NOT NULL,
                updated_at {bigint} NOT NULL)
            """,
        ]),
        new(14, "Issue 15: SHO subscriptions (K/OPc wrapped) and IMSI pool, DPF provisioning records, a DM command's Meta Format",
        [
            """
            CREATE TABLE sho_subscriptions (
                pcid TEXT PRIMARY KEY, state TEXT NOT NULL, imsi TEXT, doc TEXT NOT NULL, k_enc {blob}, opc_enc {blob},
                created_at {bigint} NOT NULL, updated_at {bigint} NOT NULL)
            """,
            "CREATE TABLE sho_imsi_pool (imsi TEXT PRIMARY KEY, state TEXT NOT NULL, pcid TEXT)",
            "CREATE INDEX ix_sho_imsi_pool_state ON sho_imsi_pool (state, imsi)",
            "CREATE TABLE dpf_provisionings (pcid TEXT PRIMARY KEY, state TEXT NOT NULL, doc TEXT NOT NULL, created_at {bigint} NOT NULL, updated_at {bigint} NOT NULL)",
            "ALTER TABLE dm_job_commands ADD COLUMN format TEXT",
        ]),
        new(15, "Issue 15: the authorisation token a device's user handed the SHO (seed 003), wrapped",
        [
            "CREATE TABLE sho_auth_tokens (pcid TEXT PRIMARY KEY, token_enc {blob} NOT NULL, updated_at {bigint} NOT NULL)",
        ]),
        new(16, "Issue 16: firmware updates' reference measurements the manufacturer registered at the PVA (history kept)",
        [
            "CREATE TABLE pva_firmware_updates (id TEXT PRIMARY KEY, pcid TEXT NOT NULL, measurements TEXT NOT NULL, registered_by TEXT NOT NULL, registered_at {bigint} NOT NULL)",
            "CREATE INDEX ix_pva_firmware_updates_pcid ON pva_firmware_updates (pcid, registered_at)",
        ]),
        new(18, "Issue 16 (change of subscription): the DRF's changes of a PCID from one SHO to another, until the old SHO is told",
        [
            "CREATE TABLE drf_changes (pcid TEXT PRIMARY KEY, from_sho TEXT NOT NULL, to_sho TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, updated_at {bigint} NOT NULL)",
        ]),
        new(19, "Issue 16: MCIMs the SHO prepared ahead of time (bulk preparation): the sealed object, K and OPc wrapped, expiry",
        [
            """
            CREATE TABLE sho_prepared_mcims (
                pcid TEXT PRIMARY KEY, imsi TEXT NOT NULL, state TEXT NOT NULL, tre_id TEXT NOT NULL,
                pfc_attestation {blob} NOT NULL, pfc_encryption {blob} NOT NULL, token_sha256 {blob},
                mcim_enc {blob}, k_enc {blob}, opc_enc {blob}, created_at {bigint} NOT NULL, expires_at {bigint} NOT NULL)
            """,
            "CREATE INDEX ix_sho_prepared_mcims_expiry ON sho_prepared_mcims (expires_at)",
        ]),
        new(20, "Issue 16, the demo at scale: the DPF finds the downloads whose step-21 report awaits the SHO by index, not by reading every record",
        [
            "ALTER TABLE dpf_provisionings ADD COLUMN awaits_report INTEGER NOT NULL DEFAULT 0",
            // The records written before: a finished download not yet reported (the JSON document's own fields).
            """UPDATE dpf_provisionings SET awaits_report = 1 WHERE state IN ('installed', 'failed') AND doc LIKE '%"ReportedToSho":false%' AND doc NOT LIKE '%"Result":null%'""",
            "CREATE INDEX ix_dpf_provisionings_awaits_report ON dpf_provisionings (awaits_report, pcid)",
        ]),
        new(21, "Issue 17 (triggering): the VNO's EPS NAS contexts (K_NASint wrapped, the downlink COUNT, the connection state) and protected triggers; the MTC-IWF's grants",
        [
            """
            CREATE TABLE vno_nas_contexts (
                identity TEXT PRIMARY KEY, plmn TEXT NOT NULL, knas_int_enc {blob} NOT NULL, context_id TEXT NOT NULL,
                dl_count {bigint} NOT NULL, state TEXT NOT NULL, updated_at {bigint} NOT NULL)
            """,
            """
            CREATE TABLE vno_triggers (
                id TEXT PRIMARY KEY, identity TEXT NOT NULL, reference {bigint} NOT NULL, action INTEGER NOT NULL, payload {blob} NOT NULL,
                context_id TEXT NOT NULL, dl_count {bigint} NOT NULL, message {blob} NOT NULL, delivery TEXT NOT NULL,
                created_at {bigint} NOT NULL, expires_at {bigint} NOT NULL)
            """,
            "CREATE INDEX ix_vno_triggers_identity ON vno_triggers (identity, dl_count)",
            """
            CREATE TABLE mtciwf_grants (
                mtc_server TEXT NOT NULL, external_id TEXT NOT NULL, imsi TEXT NOT NULL, granted_by TEXT NOT NULL, granted_at {bigint} NOT NULL,
                PRIMARY KEY (mtc_server, external_id))
            """,
        ]),
        new(22, "Issue 16: the DPF's outbox of life-cycle instruction outcomes (retried until the SHO takes them); a change's outcome awaiting the DRF is found by index too",
        [
            """
            CREATE TABLE dpf_instruction_reports (
                job_id TEXT PRIMARY KEY, pcid TEXT NOT NULL, sho_id TEXT NOT NULL, attempts INTEGER NOT NULL,
                next_at {bigint} NOT NULL, created_at {bigint} NOT NULL)
            """,
            "CREATE INDEX ix_dpf_instruction_reports_next ON dpf_instruction_reports (next_at)",
            // An ended change whose outcome the DRF has not taken (DpfProvisioning.AwaitsChangeReport), from the JSON document's own fields.
            """
            UPDATE dpf_provisionings SET awaits_report = 1 WHERE state IN ('installed', 'failed') AND doc LIKE '%"PreviousShoId":"%'
                AND doc LIKE '%"ReportedToDrf":false%' AND (state = 'failed' OR doc LIKE '%"ReportedToSho":true%')
            """,
        ]),
        new(23, "Issue 17: MTC groups (TR 33.868 §5.2) — groups with their key (wrapped) and epoch, members, messages; each device's K_GRP (wrapped); MTC features per subscriber; the network's signing key (wrapped)",
        [
            "CREATE TABLE mtc_groups (id TEXT PRIMARY KEY, epoch {bigint} NOT NULL, sequence {bigint} NOT NULL, floor {bigint} NOT NULL, key_enc {blob} NOT NULL, created_at {bigint} NOT NULL)",
            "CREATE TABLE mtc_group_members (group_id TEXT NOT NULL, identity TEXT NOT NULL, acked_epoch {bigint}, added_at {bigint} NOT NULL, PRIMARY KEY (group_id, identity))",
            "CREATE INDEX ix_mtc_group_members_identity ON mtc_group_members (identity)",
            "CREATE TABLE mtc_group_messages (group_id TEXT NOT NULL, sequence {bigint} NOT NULL, message {blob} NOT NULL, at {bigint} NOT NULL, PRIMARY KEY (group_id, sequence))",
            "CREATE TABLE mtc_member_keys (identity TEXT PRIMARY KEY, key_enc {blob} NOT NULL, updated_at {bigint} NOT NULL)",
            "CREATE TABLE mtc_features (identity TEXT PRIMARY KEY, features TEXT NOT NULL, updated_at {bigint} NOT NULL)",
            "CREATE TABLE mtc_signing_key (id INTEGER PRIMARY KEY, key_enc {blob} NOT NULL)",
        ]),
        new(25, "Issue 18 (GBA): the BSF's Digest AKA challenges (XRES and Ks wrapped, used once) and bootstrapping contexts (Ks wrapped); the HSS's GUSS GBA type per IMSI",
        [
            """
            CREATE TABLE bsf_challenges (
                id TEXT PRIMARY KEY, impi TEXT NOT NULL, rand {blob} NOT NULL, xres_enc {blob} NOT NULL, ks_enc {blob} NOT NULL,
                gba_type TEXT NOT NULL, expires_at {bigint} NOT NULL)
            """,
            "CREATE INDEX ix_bsf_challenges_expiry ON bsf_challenges (expires_at)",
            """
            CREATE TABLE bsf_contexts (
                b_tid TEXT PRIMARY KEY, impi TEXT NOT NULL, rand {blob} NOT NULL, ks_enc {blob} NOT NULL, gba_type TEXT NOT NULL,
                bootstrapped_at {bigint} NOT NULL, expires_at {bigint} NOT NULL)
            """,
            "CREATE INDEX ix_bsf_contexts_expiry ON bsf_contexts (expires_at)",
            "CREATE TABLE hss_guss (imsi TEXT PRIMARY KEY, gba_type TEXT NOT NULL, updated_at {bigint} NOT NULL)",
        ]),
        new(27, "Issue 17: the last NAS uplink COUNT the VNO accepted from each device's state reports (detach, data session, paging acknowledgement), reset at every attach",
        [
            "ALTER TABLE vno_nas_contexts ADD COLUMN ul_count {bigint}",
        ]),
        new(28, "Issue 20: the last battery figure each device reported to the VNO (NAS-integrity-protected report kind 5), keyed by IMSI",
        [
            "CREATE TABLE vno_battery (identity TEXT PRIMARY KEY, level_permille INTEGER NOT NULL, ul_count {bigint} NOT NULL, reported_at {bigint} NOT NULL)",
        ]),
        new(29, "Issue 19: the DPF's resumption finds the ongoing provisionings by a partial index instead of reading every record every 2 s",
        [
            $"CREATE INDEX ix_dpf_provisionings_ongoing ON dpf_provisionings (pcid, updated_at) WHERE {Sql.SqlDpfStore.OngoingPredicate}",
        ]),
    ];

    public static int Latest => All[^1].Version;
}

/// <summary>One schema step: its version and its statements (with dialect placeholders).</summary>
internal sealed record Migration(int Version, string Description, IReadOnlyList<string> Statements);
