# The function source: the esbuild bundle of functions/gcp/index.ts, zipped and uploaded.
# Every function runs the same zip with a different entry point, as on AWS every function
# is its own bundle of only what it imports.

data "archive_file" "bundle" {
  type        = "zip"
  source_dir  = var.bundle_dir
  output_path = "${path.module}/.terraform/credrot-gcp-bundle.zip"
}

resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-${var.name_prefix}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = local.labels

  # Old bundles are only needed until the functions have been rebuilt from the new one.
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_object" "bundle" {
  # The content hash in the name makes every new bundle a new object, which is what makes
  # Terraform rebuild the functions when the code changes.
  name   = "credrot-gcp-${data.archive_file.bundle.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.bundle.output_path
}
