# The five functions: the same bundle, one entry point each (the targets registered in
# functions/gcp/index.ts). Each runs as its own service account (iam.tf) and reads
# credrot.config.yaml from the config secret, mounted as a file: CREDROT_CONFIG names it,
# exactly as for the CLI.
# https://cloud.google.com/functions/docs/configuring/secrets

# HTTP: GitLab's webhook. Public, because GitLab cannot authenticate to Google; the
# function authenticates every delivery by its X-Gitlab-Token.
resource "google_cloudfunctions2_function" "gitlab_webhook" {
  name     = "${var.name_prefix}-gitlab-webhook"
  location = var.region
  labels   = local.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "gitlabWebhook"
    service_account = var.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.gitlab_webhook.email
    ingress_settings               = "ALLOW_ALL"
    available_memory               = "256Mi"
    timeout_seconds                = 10
    max_instance_count             = 10
    all_traffic_on_latest_revision = true
    environment_variables          = { CREDROT_CONFIG = "${local.config_mount_path}/${local.config_file_name}" }

    secret_volumes {
      mount_path = local.config_mount_path
      project_id = var.project_id
      secret     = google_secret_manager_secret.config.secret_id
      versions {
        version = "latest"
        path    = local.config_file_name
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.config_accessor]
}

# HTTP: GitHub's webhook (ping, secret_scanning_alert). Public for the same reason; every
# delivery is checked against X-Hub-Signature-256.
resource "google_cloudfunctions2_function" "github_webhook" {
  name     = "${var.name_prefix}-github-webhook"
  location = var.region
  labels   = local.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "githubWebhook"
    service_account = var.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.github_webhook.email
    ingress_settings               = "ALLOW_ALL"
    available_memory               = "256Mi"
    timeout_seconds                = 10
    max_instance_count             = 10
    all_traffic_on_latest_revision = true
    environment_variables          = { CREDROT_CONFIG = "${local.config_mount_path}/${local.config_file_name}" }

    secret_volumes {
      mount_path = local.config_mount_path
      project_id = var.project_id
      secret     = google_secret_manager_secret.config.secret_id
      versions {
        version = "latest"
        path    = local.config_file_name
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.config_accessor]
}

# CloudEvent: the scheduled scan, triggered by the scheduler's message on the scan topic.
# A failed scan is not retried: the next slot scans again.
resource "google_cloudfunctions2_function" "scheduled_scan" {
  name     = "${var.name_prefix}-scheduled-scan"
  location = var.region
  labels   = local.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "scheduledScan"
    service_account = var.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.scan.email
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    available_memory               = "512Mi"
    timeout_seconds                = 300
    max_instance_count             = 1
    all_traffic_on_latest_revision = true
    environment_variables          = { CREDROT_CONFIG = "${local.config_mount_path}/${local.config_file_name}" }

    secret_volumes {
      mount_path = local.config_mount_path
      project_id = var.project_id
      secret     = google_secret_manager_secret.config.secret_id
      versions {
        version = "latest"
        path    = local.config_file_name
      }
    }
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.scan.id
    retry_policy          = "RETRY_POLICY_DO_NOT_RETRY"
    service_account_email = google_service_account.invoker.email
  }

  depends_on = [google_secret_manager_secret_iam_member.config_accessor]
}

# CloudEvent: the rotation worker, one job per delivery, reached by the jobs push
# subscription (pubsub.tf), which retries with backoff and dead-letters after
# var.max_delivery_attempts.
resource "google_cloudfunctions2_function" "rotation_worker" {
  name     = "${var.name_prefix}-rotation-worker"
  location = var.region
  labels   = local.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "rotationWorker"
    service_account = var.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.worker.email
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    available_memory               = "512Mi"
    timeout_seconds                = 540
    max_instance_count             = 10
    all_traffic_on_latest_revision = true
    environment_variables          = { CREDROT_CONFIG = "${local.config_mount_path}/${local.config_file_name}" }

    secret_volumes {
      mount_path = local.config_mount_path
      project_id = var.project_id
      secret     = google_secret_manager_secret.config.secret_id
      versions {
        version = "latest"
        path    = local.config_file_name
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.config_accessor]
}

# CloudEvent: Secret Manager's SECRET_ROTATE notifications for the managed secrets, so
# that a secret's own rotation schedule drives a credrot rotation natively.
resource "google_cloudfunctions2_function" "secret_rotate" {
  name     = "${var.name_prefix}-secret-rotate"
  location = var.region
  labels   = local.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "secretRotate"
    service_account = var.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.rotate.email
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    available_memory               = "256Mi"
    timeout_seconds                = 60
    max_instance_count             = 5
    all_traffic_on_latest_revision = true
    environment_variables          = { CREDROT_CONFIG = "${local.config_mount_path}/${local.config_file_name}" }

    secret_volumes {
      mount_path = local.config_mount_path
      project_id = var.project_id
      secret     = google_secret_manager_secret.config.secret_id
      versions {
        version = "latest"
        path    = local.config_file_name
      }
    }
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.secret_rotation.id
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.invoker.email
  }

  depends_on = [google_secret_manager_secret_iam_member.config_accessor]
}
